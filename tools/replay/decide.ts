import { isPromise } from "../../shared/pipeline/index.ts";
import type { PolicyResult } from "../../shared/policy/index.ts";
import type { DecideSetup } from "../policy-test/types.ts";
import { composeToolPipeline } from "../policy-test/tool-pipeline.ts";
import type { ReplayCase } from "./read-line.ts";
import { replayInput, replayStages } from "./replay-stages.ts";

/** A recorded request decided again. */
export interface Redecision {
  readonly decision: "allow" | "deny";
  readonly reason: string;
  /** The policies that decided (empty when the request ended before them). */
  readonly reasons: readonly string[];
  readonly result: PolicyResult | null;
  /** The route the request matches under this project; `null` when none. */
  readonly route: string | null;
  /** Set for an `internal_error`: what went wrong. */
  readonly message?: string;
}

/** Decides recorded requests with one project, through the production stages (see `replay-stages.ts`). */
export type Redecide = (recorded: ReplayCase) => Redecision;

/** Composes the replay pipeline for `setup` once; the clock reads each line's recorded decision time. */
export function createRedecide(setup: DecideSetup): Redecide {
  const { decide, time } = composeToolPipeline(setup, replayStages, "replay");
  return function redecide(recorded) {
    time.at = recorded.nowMs;
    const state = decide(replayInput(recorded));
    // Invariant: no swapped stage waits, so the decision is made before `decide` returns
    if (isPromise(state)) throw new Error("the replay pipeline must decide synchronously");
    const verdict = state.verdict!;
    const out: { -readonly [K in keyof Redecision]: Redecision[K] } = {
      decision: verdict.status === 200 ? "allow" : "deny",
      reason: verdict.reason,
      reasons: state.policy?.reasons ?? [],
      result: state.policy,
      route: state.match?.route.name ?? null,
    };
    if (verdict.reason === "internal_error" && verdict.detail?.message !== undefined) out.message = verdict.detail.message;
    return out;
  };
}
