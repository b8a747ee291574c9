import type { SenderCheck } from "../../token/bind.ts";
import { senderChallenge, type SenderFailure } from "../../token/sender-reasons.ts";
import { isPromise, type MaybePromise, type RequestState, type Stage, type Verdict } from "../state.ts";

// Requests whose credential came with the `DPoP` scheme, as the credential stage found it: a bearer
// request pays one WeakSet lookup here rather than a second read of its Authorization header
const dpopScheme = new WeakSet<RequestState>();

/** Notes that `state`'s credential came with the `DPoP` scheme (called by the credential stage). */
export function markDpopScheme(state: RequestState): void {
  dpopScheme.add(state);
}

/**
 * Checks that the verified token comes from its holder (issue #20): a DPoP-bound token needs the
 * `DPoP` scheme and a valid proof, a certificate-bound one the client certificate it names, and an
 * issuer or a route (`senderConstraint`) may require either. A refusal is a 401 (503 when the replay store cannot answer) with its
 * own reason and a DPoP or RFC 6750 challenge. An unbound bearer token passes in the same turn.
 * Without a check (`sender: null`) the stage passes.
 */
export function bindingStage(check: (SenderCheck & { readonly algorithms: string; readonly requiresBinding: boolean }) | null | undefined): Stage {
  if (check === null || check === undefined) return function binding() { return undefined; };
  return function binding(state): MaybePromise<Verdict | undefined> {
    // Fast path: an unbound bearer token where neither an issuer nor the route requires binding, with nothing allocated
    const routeConstraint = state.match === null ? null : state.match.route.senderConstraint;
    if (!check.requiresBinding && routeConstraint === null && (state.claims as { cnf?: unknown }).cnf === undefined && !dpopScheme.has(state)) return undefined;
    const input = state.input;
    // The credential stage accepted `Bearer` or `DPoP`; a cookie or query token is a bearer token
    const scheme = dpopScheme.has(state) ? "dpop" : "bearer";
    const outcome = check({
      scheme,
      token: state.credential!,
      claims: state.claims as Readonly<Record<string, unknown>>,
      issuer: state.token!.issuer,
      method: input.method,
      url: input.url,
      proof: input.headers.get("dpop"),
      certificate: input.clientCertificate,
      routeConstraint,
    });
    if (isPromise(outcome)) return outcome.then((later) => settle(state, later, check.algorithms));
    return settle(state, outcome, check.algorithms);
  };
}

function settle(state: RequestState, failure: SenderFailure | undefined, algorithms: string): Verdict | undefined {
  if (failure === undefined) return undefined;
  state.authError = failure.reason;
  const detail = failure.field === undefined ? { stage: "binding" as const } : { stage: "binding" as const, field: failure.field };
  const status = failure.reason === "dpop_replay_unavailable" ? 503 : 401;
  const challenge = senderChallenge(failure.reason, algorithms);
  if (failure.nonce !== undefined) return { status, reason: failure.reason, detail, challenge, dpopNonce: failure.nonce };
  return challenge === undefined ? { status, reason: failure.reason, detail } : { status, reason: failure.reason, detail, challenge };
}
