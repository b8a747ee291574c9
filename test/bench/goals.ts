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

// A figure shown beside a judged one, in the row's name; nothing when a run lacks it
const beside = (what: string, value: number | undefined, unit: string, field: string): string =>
  value === undefined ? "" : `; beside it, ${what}: ${value.toLocaleString("en-US", { maximumFractionDigits: 2 })}${unit} (${field}, not judged)`;

export function goalsOf(run: { hotPath: HotPathFigures; policyEval: PolicyEvalRow[]; worker: WorkerBenchResult; coldStart: ColdStartFigures }): GoalRow[] {
  const medium = run.policyEval.find((row) => row.set === "medium")!;
  const large = run.policyEval.find((row) => row.set === "large")!;
  const atLeast = (figure: string, value: number, goal: number): GoalRow => ({ figure, value, goal: `≥ ${goal}`, met: value >= goal });
  const atMost = (figure: string, value: number, goal: number): GoalRow => ({ figure, value, goal: `≤ ${goal}`, met: value <= goal });
  return [
    // Judged on one token over and over, the figure the goal was set on; the same ratio with tokens
    // taking turns (no "last hit" memo answers) is named beside it so the row never reads as typical
    atLeast(`pipeline, reused token, Node: jose.jwtVerify / pipeline, one token repeated (pipeline_ratio_vs_jose; judged)${beside("100 tokens taking turns", run.hotPath.pipeline_rotating_ratio_vs_jose, "×", "pipeline_rotating_ratio_vs_jose")}`, run.hotPath.pipeline_ratio_vs_jose, 25),
    atMost(`verified-token cache hit, ns, one token repeated (token_cache_hit_ns; judged)${beside("100 tokens taking turns", run.hotPath.token_cache_lookup_ns, " ns", "token_cache_lookup_ns")}`, run.hotPath.token_cache_hit_ns, 1000),
    atMost("revocation cache hit, ns (revocation_cache_hit_ns)", run.hotPath.revocation_cache_hit_ns, 200),
    atMost(`decision, medium set (${medium.policies}), own process, ns`, medium.compiled_ns, 1000),
    atLeast("decision, medium set: cedar-wasm / compiled", medium.ratio, 500),
    atMost(`decision, large set (${large.policies}) / medium`, Math.round((large.compiled_ns / medium.compiled_ns) * 100) / 100, 1.5),
    atMost("audit line build + serialise, ns (audit_line_ns)", run.hotPath.audit_line_ns, 1500),
    atMost("bytes allocated per pipeline call (pipeline_alloc_bytes)", run.hotPath.pipeline_alloc_bytes, 4096),
    // Each beside its floor: the same anchor doing, with no Gatehouse code, the platform work Gatehouse must do
    atLeast(`Worker in Miniflare, reused token / forwarding Worker${beside("against the forwarder that also copies the request, sets the identity headers and writes the line", run.worker.floor_ratio, "×", "floor_ratio")}`, run.worker.ratio, 0.9),
    atLeast(`Worker, fresh token / Hono jwk middleware${beside("against Hono jwk that also reads KV and writes the line", run.worker.fresh_floor_ratio, "×", "fresh_floor_ratio")}`, run.worker.fresh_ratio, 1.0),
    atMost(`Lambda cold start over bare Node, ms${beside("over Node's own part of a first ES256 decision", run.coldStart.lambda_over_node_floor, " ms", "lambda_over_node_floor")}`, run.coldStart.lambda, 15),
  ];
}
