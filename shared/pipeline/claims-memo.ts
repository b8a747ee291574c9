import { Entity } from "../policy/entities.ts";
import type { EntityJson } from "../policy/types.ts";
import type { MapClaimsOutcome } from "../token/claims.ts";
import { principalText } from "./identity.ts";

/** What the pipeline derives from one verified claims object alone. */
export interface ClaimsFacts {
  /** The principal and the token's part of the context, or the claim that could not be mapped. */
  readonly mapped: MapClaimsOutcome;
  /** `principalText` of the principal (headers, authorizer context); `undefined` when unmapped. */
  readonly principalText: string | undefined;
  /** The principal's `tenant` attribute when it is a string. */
  readonly tenant: string | undefined;
  /**
   * The principal as the policy runtime's own entity (uid, parents and attributes decoded once, then
   * reused by every request of the token), or its JSON form when the policy set was built by another
   * runtime copy; `undefined` when unmapped.
   */
  readonly entity: Entity | EntityJson | undefined;
  /** The `Decision.principal` of the token's requests: its uid, with `tenant` when it has one (frozen, shared); `undefined` when unmapped. */
  readonly decisionPrincipal: { readonly type: string; readonly id: string; readonly tenant?: string } | undefined;
}

/** Remembers `ClaimsFacts` per verified claims object; made by `createClaimsMemo`. */
export interface ClaimsMemo {
  /** What was remembered for this claims object, if anything. */
  get(claims: object): ClaimsFacts | undefined;
  /** Completes `mapped` (the claims' `mapClaims` outcome) into facts, and remembers them when `claims` is frozen. */
  remember(claims: object, mapped: MapClaimsOutcome): ClaimsFacts;
}

/**
 * Derives `ClaimsFacts` once per verified claims object (issue #22): the verifier hands out the same
 * frozen object for every hit of a cached token, so a reused token maps its claims once. A claims
 * object that is not frozen could change, so it is mapped afresh each time. The memo holds its keys
 * weakly: an entry goes when the token leaves the verified-token cache. `ownEntities`: the policy
 * set takes this runtime's `Entity` objects (`ownsPolicySet`).
 */
export function createClaimsMemo(ownEntities: boolean): ClaimsMemo {
  const memo = new WeakMap<object, ClaimsFacts>();
  return {
    get: (claims) => memo.get(claims),
    remember(claims, mapped) {
      const facts = factsOf(mapped, ownEntities);
      if (Object.isFrozen(claims)) memo.set(claims, facts);
      return facts;
    },
  };
}

function factsOf(mapped: MapClaimsOutcome, ownEntities: boolean): ClaimsFacts {
  if (!mapped.ok) return { mapped, principalText: undefined, tenant: undefined, entity: undefined, decisionPrincipal: undefined };
  const { uid, attrs } = mapped.principal;
  // Shared by every request of the token from now on (and memoised on by the audit line): never changed
  Object.freeze(uid);
  const json = mapped.principal as unknown as EntityJson;
  const tenant = typeof attrs.tenant === "string" ? attrs.tenant : undefined;
  return {
    mapped,
    principalText: principalText(uid.type, uid.id),
    tenant,
    entity: ownEntities ? new Entity(json) : json,
    decisionPrincipal: tenant === undefined ? uid : Object.freeze({ type: uid.type, id: uid.id, tenant }),
  };
}
