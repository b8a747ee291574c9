import { isPromise, type HeadersLike } from "../../shared/pipeline/index.ts";
import { givenStages, type GivenInput } from "./given-stages.ts";
import { composeToolPipeline, type ToolPipeline } from "./tool-pipeline.ts";
import type { DecideInput, DecideOutcome, DecideSetup } from "./types.ts";

/** A decider per setup, composed once; the setup's time is set per request. */
const deciders = new WeakMap<DecideSetup, ToolPipeline>();

/**
 * Decides a request whose token claims (or principal) are given, through the production pipeline
 * with the credential and token stages swapped for "these claims are verified" and revocation for
 * "nothing revoked" (see `given-stages.ts`): the same stages, order, context, reasons and
 * `onForbidError` as a deployed function. Synchronous, and never throws: a case whose entities the
 * policies cannot read is an `internal_error` whose detail says why.
 */
export function decideWithClaims(setup: DecideSetup, input: DecideInput): DecideOutcome {
  const decider = deciderFor(setup);
  decider.time.at = input.now;
  const headers = lowerCaseKeys(input.headers);
  const headersLike: HeadersLike = { get: (name) => headers.get(name.toLowerCase()) ?? null };
  const request: GivenInput = {
    platform: "node",
    method: input.method,
    path: input.path,
    headers: headersLike,
    ...(input.ip !== undefined ? { clientIp: input.ip } : {}),
    given: { claims: input.claims, principal: input.principal, context: input.context, entities: input.entities, liveEntities: input.liveEntities },
  };
  const state = decider.decide(request);
  // Invariant: no swapped stage waits, so the decision is made before `decide` returns
  if (isPromise(state)) throw new Error("the policy-test pipeline must decide synchronously");
  const verdict = state.verdict!;
  const outcome: { -readonly [K in keyof DecideOutcome]: DecideOutcome[K] } = { decision: verdict.status === 200 ? "allow" : "deny", reason: verdict.reason };
  if (verdict.detail?.claim !== undefined) outcome.claim = verdict.detail.claim;
  if (verdict.detail !== undefined) outcome.detail = verdict.detail;
  if (state.match !== null) outcome.route = state.match.route.name;
  if (state.cedarRequest !== null) outcome.request = state.cedarRequest;
  if (state.entities !== null) outcome.entities = state.entities;
  if (state.policy !== null) outcome.result = state.policy;
  return outcome;
}

function deciderFor(setup: DecideSetup): ToolPipeline {
  let decider = deciders.get(setup);
  if (decider === undefined) {
    decider = composeToolPipeline(setup, (parts) => givenStages(parts, setup), "policy-test");
    deciders.set(setup, decider);
  }
  return decider;
}

function lowerCaseKeys(headers: Readonly<Record<string, string>> | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const [name, value] of Object.entries(headers ?? {})) out.set(name.toLowerCase(), value);
  return out;
}
