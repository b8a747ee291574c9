import { mapClaims } from "../../token/claims.ts";
import { createClaimsMemo, type ClaimsMemo } from "../claims-memo.ts";
import { verdict, type Stage, type Verdict } from "../state.ts";

/**
 * Turns the verified claims into the Cedar principal and the token's part of the context, with the
 * issuer's claims mapping. A claim of the wrong type, or a missing principal id, is a 401 naming the claim.
 * `memo` keeps the result per verified claims object: a reused token is not mapped again (issue #22).
 */
export function principalStage(memo: ClaimsMemo = createClaimsMemo(false)): Stage {
  return function principal(state): Verdict | undefined {
    const token = state.token!;
    const facts = memo.get(token.claims) ?? memo.remember(token.claims, mapClaims(token.claims, token.claimsMapping));
    const mapped = facts.mapped;
    if (!mapped.ok) {
      state.authError = mapped.reason;
      return verdict(401, mapped.reason, { stage: "principal", claim: mapped.claim });
    }
    state.principal = mapped.principal;
    state.tokenContext = mapped.context;
    state.principalFacts = facts;
    return undefined;
  };
}
