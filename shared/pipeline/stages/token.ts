import type { TokenVerifier, VerifyOutcome } from "../../token/verify.ts";
import type { DecisionDetail } from "../reasons.ts";
import { isPromise, verdict, type MaybePromise, type RequestState, type Stage, type Verdict } from "../state.ts";

/**
 * Verifies the credential (signature, issuer, audience, times). A refusal is a 401 with the
 * token's reason, except `jwks_unavailable`: the keys could not be fetched, a dependency is down
 * rather than the caller at fault, so 503. The verifier may answer from its cache synchronously;
 * only a real wait (a key fetch, a signature check off-thread) is awaited.
 */
export function tokenStage(verifier: Pick<TokenVerifier, "verify"> & Partial<Pick<TokenVerifier, "verifyCached">>): Stage {
  return function token(state): MaybePromise<Verdict | undefined> {
    const started = performance.now();
    // Fast path (issue #22): a token the verified-token cache holds is answered in this same turn
    const cached = verifier.verifyCached === undefined ? undefined : verifier.verifyCached(state.credential!);
    if (cached !== undefined) return settle(state, cached, started);
    const outcome = verifier.verify(state.credential!) as MaybePromise<VerifyOutcome>;
    if (isPromise(outcome)) return outcome.then((later) => settle(state, later, started));
    return settle(state, outcome, started);
  };
}

// A dependency that is down, not a caller at fault: keys, and since #20 the discovery document and the introspection endpoint
const UNAVAILABLE: ReadonlySet<string> = new Set(["jwks_unavailable", "discovery_unavailable", "introspection_unavailable"]);

function settle(state: RequestState, outcome: VerifyOutcome, started: number): Verdict | undefined {
  state.verifyMs = performance.now() - started;
  if (!outcome.ok) {
    state.authError = outcome.reason;
    const detail: DecisionDetail = { stage: "token", ...(outcome.field === undefined ? {} : { field: outcome.field }), ...(outcome.issuer === undefined ? {} : { issuer: outcome.issuer }) };
    return verdict(UNAVAILABLE.has(outcome.reason) ? 503 : 401, outcome.reason, detail);
  }
  state.token = outcome;
  state.claims = outcome.claims;
  return undefined;
}
