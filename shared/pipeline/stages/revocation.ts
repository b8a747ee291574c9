import type { FailMode } from "../../config/types.ts";
import type { RevocationChecker, RevocationCheckResult } from "../../revocation/check.ts";
import type { DecisionDetail } from "../reasons.ts";
import { isPromise, verdict, type MaybePromise, type RequestState, type Stage, type Verdict } from "../state.ts";

/**
 * Asks whether the verified token is revoked, with the route's fail mode. `revoked` and
 * `invalid_claim` are 401; a store that could not answer under fail mode `closed` is a 503
 * naming the store and why. A cached answer may come back synchronously and is not awaited.
 * Without a checker (`revocation: null`) the stage passes.
 */
export function revocationStage(checker: Pick<RevocationChecker, "check" | "store"> | null, failModes: ReadonlyMap<string, FailMode>): Stage {
  if (checker === null) return function revocation() { return undefined; };
  return function revocation(state): MaybePromise<Verdict | undefined> {
    const result = checker.check(state.claims!, failModes.get(state.match!.route.name)) as MaybePromise<RevocationCheckResult>;
    if (isPromise(result)) return result.then((later) => settle(state, later, checker.store.name));
    return settle(state, result, checker.store.name);
  };
}

function settle(state: RequestState, result: RevocationCheckResult, store: string): Verdict | undefined {
  state.revocation = result;
  if (result.allow) return undefined;
  const reason = result.reason ?? "revocation_unavailable";
  if (reason === "revocation_unavailable") {
    const detail: DecisionDetail = result.storeError === undefined ? { stage: "revocation", store } : { stage: "revocation", store, storeError: result.storeError };
    return verdict(503, reason, detail);
  }
  if (reason === "revoked") return verdict(401, reason, result.revokedBy === undefined ? { stage: "revocation" } : { stage: "revocation", revokedBy: result.revokedBy });
  return verdict(401, reason, result.field === undefined ? { stage: "revocation" } : { stage: "revocation", claim: result.field });
}
