import { isPromise, type MaybePromise, type NamedStage, type RequestState, type Verdict } from "./state.ts";

/** The composed stages: one request's state in, its verdict out (now, or later if a stage waited). */
export type ComposedRun = (state: RequestState) => MaybePromise<Verdict>;

/**
 * Runs `stages` in order over one request's state until one answers a verdict. A stage that
 * answers synchronously is followed at once; only a stage that returns a Promise is awaited, so a
 * request whose every stage is answered from cache runs without a single microtask turn. A stage
 * that throws, or whose Promise rejects, is left to the caller; `state.stage` names it.
 * Invariant: the last stage always answers a verdict.
 */
export function compose(stages: readonly NamedStage[]): ComposedRun & { readonly names: readonly string[] } {
  const count = stages.length;
  const from = (state: RequestState, index: number): MaybePromise<Verdict> => {
    for (let i = index; i < count; i++) {
      state.stage = stages[i].name;
      const answer = stages[i].run(state);
      if (isPromise(answer)) return answer.then((later) => (later === undefined ? from(state, i + 1) : later));
      if (answer !== undefined) return answer;
    }
    throw new Error("the last stage gave no verdict");
  };
  return Object.assign(function runStages(state: RequestState) {
    return from(state, 0);
  }, { names: stages.map((stage) => stage.name) });
}
