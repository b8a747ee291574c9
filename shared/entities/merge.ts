import type { CedarJsonValue, EntityJson, EntityUidJson } from "../policy/types.ts";

/** What the merge starts from: the request's own entities, as the earlier stages built them. */
export interface BuiltEntities {
  /** The principal from the verified token's claims. */
  readonly principal: EntityJson;
  /** The resource from the route's template and the path. */
  readonly resource: EntityJson;
}

/**
 * The request entities the policies see, from the built ones and the live records (issue #17).
 * Precedence, highest first, attribute by attribute:
 *
 * 1. a principal attribute named in `claimsAuthoritative` (the claim's value; `"parents"`: the token's groups);
 * 2. the live record's attributes and parents (what the directory says now);
 * 3. the claim-built principal's / path-built resource's attributes and parents;
 * 4. the static entities (`policies/entities.json`): a request entity replaces a static one with the
 *    same uid, as in Cedar; static entities are never read from the source, so this happens only
 *    when the principal or resource itself is static.
 *
 * A live record replaces the built entity's parents as a whole (a role taken away must go away), unless
 * the record has no `parents` field. Records of other uids (ancestors) are passed as they are.
 *
 * When the resource is the principal itself (a user's own profile), the request holds one entity for
 * that uid, the principal's merge: a second one would replace it (#17b).
 */
export function mergeEntities(built: BuiltEntities, records: readonly EntityJson[], claimsAuthoritative: ReadonlySet<string>): EntityJson[] {
  if (records.length === 0) return [built.principal, built.resource];
  const principalUid = uidOf(built.principal);
  const resourceUid = uidOf(built.resource);
  let principal = built.principal;
  let resource = built.resource;
  const out: EntityJson[] = [];
  for (const record of records) {
    const uid = uidOf(record);
    if (same(uid, principalUid)) principal = overlay(built.principal, record, claimsAuthoritative);
    else if (same(uid, resourceUid)) resource = overlay(built.resource, record, null);
    else out.push(record);
  }
  // One entity per uid, as Cedar's entity set; the later one would win in the runtime
  if (same(principalUid, resourceUid)) out.push(principal);
  else out.push(principal, resource);
  return out;
}

function overlay(base: EntityJson, record: EntityJson, authoritative: ReadonlySet<string> | null): EntityJson {
  const attrs: Record<string, CedarJsonValue> = { ...(base.attrs ?? {}), ...(record.attrs ?? {}) };
  let parents = record.parents ?? base.parents ?? [];
  if (authoritative !== null && authoritative.size > 0) {
    const claimed = base.attrs ?? {};
    for (const name of authoritative) {
      if (name === "parents") parents = base.parents ?? [];
      else if (Object.hasOwn(claimed, name)) attrs[name] = claimed[name];
    }
  }
  const merged: EntityJson = { uid: base.uid, attrs, parents };
  if (record.tags !== undefined) merged.tags = record.tags;
  return merged;
}

function uidOf(entity: EntityJson): EntityUidJson {
  const uid = entity.uid as EntityUidJson & { __entity?: EntityUidJson };
  return uid.__entity ?? uid;
}

function same(a: EntityUidJson, b: EntityUidJson): boolean {
  return a.type === b.type && a.id === b.id;
}
