import { valueHasType, type ResolvedClaimsMapping } from "./config.ts";
import { readClaim } from "./internal.ts";

/** A Cedar entity reference in Cedar's JSON format. */
export interface EntityUid {
  readonly type: string;
  readonly id: string;
}

/** A value Cedar can hold that a claim can be mapped to. */
export type PrincipalAttribute = string | boolean | number | readonly string[];

/** The principal in Cedar's JSON entity format (`{ uid, attrs, parents }`), as the policy runtime reads it. */
export interface PrincipalEntity {
  readonly uid: EntityUid;
  readonly attrs: Readonly<Record<string, PrincipalAttribute>>;
  readonly parents: readonly EntityUid[];
}

/** Request context facts taken from the token. */
export interface TokenContext {
  /** Granted scopes, deduplicated, in token order; empty when none. */
  readonly scopes: readonly string[];
  readonly amr?: readonly string[];
  readonly acr?: string;
}

/** The principal and context, or the claim that could not be mapped. */
export type MapClaimsOutcome =
  | { readonly ok: true; readonly principal: PrincipalEntity; readonly context: TokenContext }
  | { readonly ok: false; readonly reason: "claim_type" | "missing_claim"; readonly claim: string };

/**
 * Turns verified claims into a Cedar principal and context with the issuer's mapping. A claim of
 * the wrong JSON type is a `claim_type` refusal naming it, never an exception; there is no coercion
 * (a `"true"` string is not a boolean). Never throws.
 */
export function mapClaims(claims: Readonly<Record<string, unknown>>, mapping: ResolvedClaimsMapping): MapClaimsOutcome {
  let id: string | undefined;
  for (const name of mapping.principalIdClaims) {
    const value = readClaim(claims, [name]);
    if (value === undefined) continue;
    if (typeof value !== "string" || value.length === 0) return refuse("claim_type", name);
    id = value;
    break;
  }
  if (id === undefined) return refuse("missing_claim", mapping.principalIdClaims.join("|"));

  const attrs: Record<string, PrincipalAttribute> = {};
  for (const attribute of mapping.attributes) {
    const value = readClaim(claims, attribute.path);
    if (value === undefined) {
      if (attribute.default !== undefined) attrs[attribute.name] = attribute.default;
      continue;
    }
    if (!valueHasType(value, attribute.type)) return refuse("claim_type", attribute.path.join("."));
    attrs[attribute.name] = attribute.type === "string_set" ? [...new Set(value as string[])] : (value as string | boolean | number);
  }

  const parents: EntityUid[] = [];
  if (mapping.parents !== null) {
    const value = readClaim(claims, mapping.parents.path);
    if (value !== undefined) {
      if (!valueHasType(value, "string_set")) return refuse("claim_type", mapping.parents.path.join("."));
      const seen = new Set<string>();
      for (const group of value as string[]) {
        if (seen.has(group)) continue;
        seen.add(group);
        parents.push({ type: mapping.parents.entityType, id: group });
      }
    }
  }

  const scopes = new Set<string>();
  for (const name of mapping.scopeClaims) {
    const value = readClaim(claims, [name]);
    if (value === undefined) continue;
    // RFC 8693 §4.2: `scope` is space-delimited; `scp` is an array (Okta) or a string (Entra ID).
    if (typeof value === "string") {
      for (const scope of value.split(" ")) if (scope.length > 0) scopes.add(scope);
    } else if (valueHasType(value, "string_set")) {
      for (const scope of value as string[]) if (scope.length > 0) scopes.add(scope);
    } else {
      return refuse("claim_type", name);
    }
  }

  let amr: string[] | undefined;
  if (mapping.amrClaim !== null) {
    const value = readClaim(claims, [mapping.amrClaim]);
    if (value !== undefined) {
      // RFC 8176 §1: amr is an array of strings.
      if (!valueHasType(value, "string_set")) return refuse("claim_type", mapping.amrClaim);
      amr = value as string[];
    }
  }
  let acr: string | undefined;
  if (mapping.acrClaim !== null) {
    const value = readClaim(claims, [mapping.acrClaim]);
    if (value !== undefined) {
      if (typeof value !== "string") return refuse("claim_type", mapping.acrClaim);
      acr = value;
    }
  }

  const context: TokenContext = amr === undefined && acr === undefined
    ? { scopes: [...scopes] }
    : { scopes: [...scopes], ...(amr === undefined ? {} : { amr: [...amr] }), ...(acr === undefined ? {} : { acr }) };
  return { ok: true, principal: { uid: { type: mapping.principalType, id }, attrs, parents }, context };
}

function refuse(reason: "claim_type" | "missing_claim", claim: string): MapClaimsOutcome {
  return { ok: false, reason, claim };
}
