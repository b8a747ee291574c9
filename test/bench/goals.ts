// The performance goals of issue #22, each read from figures of one run (ratios against anchors of
// the same run where the goal is a ratio). `met` is judged on the median.
import type { ColdStartFigures } from "./cold-start.ts";
import type { HotPathFigures } from "./hot-path.ts";
import type { PolicyEvalRow } from "./policy-eval.ts";
import type { WorkerBenchResult } from "./worker.ts";

/** One goal: the figure's name, its measured value, the goal as text, and whether it is met. */
export interface GoalRow {
  figure: string;
  value: number;
  goal: string;
  met: boolean;
}

export function goalsOf(run: { hotPath: HotPathFigures; policyEval: PolicyEvalRow[]; worker: WorkerBenchResult; coldStart: ColdStartFigures }): GoalRow[] {
  const medium = run.policyEval.find((row) => row.set === "medium")!;
  const large = run.policyEval.find((row) => row.set === "large")!;
  const atLeast = (figure: string, value: number, goal: number): GoalRow => ({ figure, value, goal: `≥ ${goal}`, met: value >= goal });
  const atMost = (figure: string, value: number, goal: number): GoalRow => ({ figure, value, goal: `≤ ${goal}`, met: value <= goal });
  return [
    atLeast("pipeline, reused token, Node: jose.jwtVerify / pipeline (pipeline_ratio_vs_jose)", run.hotPath.pipeline_ratio_vs_jose, 25),
    atMost("verified-token cache hit, ns (token_cache_hit_ns)", run.hotPath.token_cache_hit_ns, 1000),
    atMost("revocation cache hit, ns (revocation_cache_hit_ns)", run.hotPath.revocation_cache_hit_ns, 200),
    atMost(`decision, medium set (${medium.policies}), own process, ns`, medium.compiled_ns, 1000),
    atLeast("decision, medium set: cedar-wasm / compiled", medium.ratio, 500),
    atMost(`decision, large set (${large.policies}) / medium`, Math.round((large.compiled_ns / medium.compiled_ns) * 100) / 100, 1.5),
    atMost("audit line build + serialise, ns (audit_line_ns)", run.hotPath.audit_line_ns, 1500),
    atMost("bytes allocated per pipeline call (pipeline_alloc_bytes)", run.hotPath.pipeline_alloc_bytes, 4096),
    atLeast("Worker in Miniflare, reused token / forwarding Worker", run.worker.ratio, 0.9),
    atLeast("Worker, fresh token / Hono jwk middleware", run.worker.fresh_ratio, 1.0),
    atMost("Lambda cold start over bare Node, ms", run.coldStart.lambda, 15),
  ];
}
