import { compose } from "./compose.ts";
import { finish } from "./finish.ts";
import type { DecideParts } from "./parts.ts";
import { isPromise, newState, verdict, type MaybePromise, type NamedStage, type RequestState, type Verdict } from "./state.ts";
import type { AuthorizeInput, Decision } from "./types.ts";

/** Decides one request and answers its final state (`state.decision` set); synchronously when no stage waited. */
export type DecideState = (input: AuthorizeInput) => MaybePromise<RequestState>;

/**
 * Composes `stages` (from `pipelineStages`, see `order.ts`) once and returns the function that
 * decides a request with them: runs the stages until one gives a verdict, then writes exactly one
 * audit line and builds the `Decision`. Never throws and never rejects: a stage that throws is a
 * bug, and a bug must not let anyone in, so it becomes a fail-closed 503 `internal_error` naming
 * the stage. Answers synchronously unless a stage had to wait.
 */
export function createDecide(stages: readonly NamedStage[], parts: DecideParts): DecideState {
  const run = compose(stages);
  const conclude = (state: RequestState, reached: Verdict): RequestState => {
    state.verdict = reached;
    try {
      state.decision = finish(parts, state, reached);
    } catch (error) {
      if (reached.reason === "internal_error") return bare(state);
      return conclude(state, failure(state, error));
    }
    return state;
  };
  const fail = (state: RequestState, error: unknown): RequestState => conclude(state, failure(state, error));
  return function decideState(input) {
    const state = newState(input, parts.randomUUID(), performance.now());
    let reached: MaybePromise<Verdict>;
    try {
      reached = run(state);
    } catch (error) {
      return fail(state, error);
    }
    if (isPromise(reached)) return reached.then((later) => conclude(state, later), (error: unknown) => fail(state, error));
    return conclude(state, reached);
  };
}

/** Picks the `Decision` out of a decided state, keeping a synchronous answer synchronous. */
export function decisionOf(state: MaybePromise<RequestState>): MaybePromise<Decision> {
  return isPromise(state) ? state.then((done) => done.decision!) : state.decision!;
}

// The message helps find the bug, but stages that hold the raw token might echo it: theirs is left out
function failure(state: RequestState, error: unknown): Verdict {
  const stage = state.stage;
  if (stage === null || stage === "credential" || stage === "token") return verdict(503, "internal_error", stage === null ? undefined : { stage });
  const message = error instanceof Error ? error.message : String(error);
  return verdict(503, "internal_error", { stage, message: message.split("\n")[0].slice(0, 200) });
}

// Even the audit line failed: answer without one rather than throw
function bare(state: RequestState): RequestState {
  state.decision = { allow: false, status: 503, reason: "internal_error", decisionId: state.decisionId };
  return state;
}
