import { mapClaims } from "../../token/claims.ts";
import { verdict, type Stage, type Verdict } from "../state.ts";

/**
 * Turns the verified claims into the Cedar principal and the token's part of the context, with the
 * issuer's claims mapping. A claim of the wrong type, or a missing principal id, is a 401 naming the claim.
 */
export function principalStage(): Stage {
  return function principal(state): Verdict | undefined {
    const token = state.token!;
    const mapped = mapClaims(token.claims, token.claimsMapping);
    if (!mapped.ok) {
      state.authError = mapped.reason;
      return verdict(401, mapped.reason, { stage: "principal", claim: mapped.claim });
    }
    state.principal = mapped.principal;
    state.tokenContext = mapped.context;
    return undefined;
  };
}
