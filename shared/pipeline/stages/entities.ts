import type { FailMode } from "../../config/types.ts";
import type { EntityLoader, EntityLoadResult } from "../../entities/load.ts";
import type { EntityStageParts } from "../entity-parts.ts";
import { mergeEntities } from "../../entities/merge.ts";
import type { EntityJson } from "../../policy/types.ts";
import { Entity } from "../../policy/entities.ts";
import { resolveRequest } from "../../routes/resolve.ts";
import { isPromise, verdict, type MaybePromise, type RequestState, type Stage, type Verdict } from "../state.ts";

/**
 * Loads the live records of the request's principal and resource and their ancestors, and merges
 * them into the request entities (see `mergeEntities` for the precedence). An unusable record
 * (schema, size, cycle, too many ancestors) is a 403 `entity_invalid` naming the uid; a source that
 * cannot answer in time is a 503 `entities_unavailable` under fail mode `closed`. Synchronous when
 * every record is cached. Without `config.entities` the stage passes.
 */
export function entitiesStage(parts: EntityStageParts | null, failModes: ReadonlyMap<string, FailMode>): Stage {
  if (parts === null) return function entities() { return undefined; };
  const { loader } = parts;
  // The merge of a token's principal with the same cached records gives the same entities: kept per
  // principal object (the claims memo's, one per cached token), so the cached path decodes nothing anew
  const merged = memoOf(loader);
  return function entities(state): MaybePromise<Verdict | undefined> {
    // The same principal and resource with every record still fresh and the cache unchanged: the last answer as it is
    const principal = state.principal!;
    const resource = state.request!.resourceEntity;
    const last = merged.get(principal);
    if (last !== undefined && sameResource(last, resource)) {
      const shift = loader.reusableFor(last.result);
      if (shift !== undefined) {
        state.entityLoad = last.result;
        state.entityAgeShiftMs = shift;
        if (last.entities !== null) state.entities = last.entities as EntityJson[];
        return undefined;
      }
    }
    const roots = [principal.uid, resource.uid];
    const known = loader.loadCached(roots);
    if (known !== undefined) return settle(state, known, parts, merged);
    const later = loader.load(roots, parts.failMode ?? failModes.get(state.match!.route.name) ?? "closed");
    return isPromise(later) ? later.then((result) => settle(state, result, parts, merged)) : settle(state, later, parts, merged);
  };
}

// The stage's memo per loader, so the prefetch before revocation sees it too
const memos = new WeakMap<EntityLoader, WeakMap<object, MergedFor>>();

function memoOf(loader: EntityLoader): WeakMap<object, MergedFor> {
  let memo = memos.get(loader);
  if (memo === undefined) memos.set(loader, (memo = new WeakMap()));
  return memo;
}

// One principal's last merge: the load and resource it was made from, and the entities it gave (`null`: no records, the built ones)
interface MergedFor {
  readonly result: EntityLoadResult;
  readonly records: readonly EntityJson[];
  readonly resourceType: string;
  readonly resourceId: string;
  readonly resourceAttrs: Readonly<Record<string, string>>;
  readonly entities: (EntityJson | Entity)[] | null;
}

function settle(state: RequestState, result: EntityLoadResult, parts: EntityStageParts, memo: WeakMap<object, MergedFor>): Verdict | undefined {
  state.entityLoad = result;
  if (!result.ok) {
    if (result.reason === "entity_invalid") return verdict(403, "entity_invalid", { stage: "entities", uid: result.uid, message: result.message });
    return verdict(503, "entities_unavailable", { stage: "entities", store: parts.loader.source.name, storeError: result.storeError });
  }
  const principal = state.principal!;
  const resource = state.request!.resourceEntity;
  // Kept only for a principal of the claims memo (frozen, one per cached token): others would fill the map for nothing
  const keep = Object.isFrozen(principal.uid);
  if (result.records.length === 0) {
    if (keep) memo.set(principal, { result, records: result.records, resourceType: resource.uid.type, resourceId: resource.uid.id, resourceAttrs: resource.attrs, entities: null });
    return undefined;
  }
  const last = memo.get(principal);
  if (last !== undefined && last.entities !== null && sameMerge(last, result.records, resource)) {
    if (last.result !== result) memo.set(principal, { ...last, result });
    state.entities = last.entities as EntityJson[];
    return undefined;
  }
  const built = { principal: principal as unknown as EntityJson, resource: resource as unknown as EntityJson };
  const json = mergeEntities(built, result.records, parts.claimsAuthoritative);
  // Decoded once for the runtime that takes its own entities (issue #22's `ownsPolicySet`)
  const entities = parts.ownEntities === true ? json.map((e) => new Entity(e)) : json;
  if (keep) memo.set(principal, { result, records: result.records, resourceType: resource.uid.type, resourceId: resource.uid.id, resourceAttrs: resource.attrs, entities });
  state.entities = entities as EntityJson[];
  return undefined;
}

type ResourceLike = { readonly uid: { readonly type: string; readonly id: string }; readonly attrs: Readonly<Record<string, string>> };

function sameMerge(last: MergedFor, records: readonly EntityJson[], resource: ResourceLike): boolean {
  if (last.records.length !== records.length) return false;
  for (let i = 0; i < records.length; i++) if (last.records[i] !== records[i]) return false;
  return sameResource(last, resource);
}

// The path-built resource the last merge was made from: same uid and the same attributes
function sameResource(last: MergedFor, resource: ResourceLike): boolean {
  if (last.resourceType !== resource.uid.type || last.resourceId !== resource.uid.id) return false;
  const a = last.resourceAttrs;
  const b = resource.attrs;
  for (const name in b) if (a[name] !== b[name]) return false;
  for (const name in a) if (!(name in b)) return false;
  return true;
}

/**
 * `stage`, preceded by the start of the entity read when revocation and entities share one store,
 * so both go out in one round trip (`coalescingStore`). Changes nothing else: the entity stage
 * later joins the read in flight.
 */
export function prefetchEntities(stage: Stage, parts: EntityStageParts | null): Stage {
  if (parts === null || !parts.prefetch) return stage;
  const { loader } = parts;
  const merged = memoOf(loader);
  return function prefetchThenRun(state) {
    // Only for a request that will reach the entity stage: a mapped principal and a route with a resource
    if (state.principal !== null && state.match !== null) {
      const resolved = resolveRequest(state.match);
      if (resolved === null) return stage(state);
      // The entity stage will reuse its last answer: nothing to read, nothing to build here
      const last = merged.get(state.principal);
      if (last !== undefined && sameResource(last, resolved.resourceEntity) && loader.reusableFor(last.result) !== undefined) return stage(state);
      if (loader.loadCached([state.principal.uid, resolved.resource]) === undefined) loader.prefetch([state.principal.uid, resolved.resource]);
    }
    return stage(state);
  };
}
