// The hot path's goals (issue #22), each figure in a process of its own (`hot-path-figure.ts`),
// over interleaved rounds, reported as medians with their range. The pipeline's goal is a ratio
// against an anchor of the same run: one `jose.jwtVerify` of the same RS256 token, per round.
import { fileURLToPath } from "node:url";
import { interleave, ratios, runIsolated, spread, type Spread } from "./isolated.ts";
import type { HotPathFigure } from "./hot-path-figure.ts";

const FIGURE_SCRIPT = fileURLToPath(new URL("./hot-path-figure.ts", import.meta.url));

/** The `hot_path` section of the bench JSON. Plain numbers are medians; `*_range` are [min, max] over rounds. */
export interface HotPathFigures {
  /**
   * One pipeline decision (Node, allow, token, revocation answer and principal cached, audit line
   * serialised), one token over and over: the "last hit" memos answer every call (a best case), ns.
   */
  pipeline_reused_token_ns: number;
  /** As `pipeline_reused_token_ns`, with 100 distinct cached, not revoked tokens taking turns, ns. */
  pipeline_rotating_tokens_ns: number;
  /** One `jose.jwtVerify` of the same RS256 token with an imported key, ns: the anchor. */
  jose_verify_ns: number;
  /** jose_verify_ns / pipeline_reused_token_ns, median of per-round ratios. Goal ≥ 25 (judged on this one). */
  pipeline_ratio_vs_jose: number;
  /** jose_verify_ns / pipeline_rotating_tokens_ns, median of per-round ratios; shown beside the goal, not judged. */
  pipeline_rotating_ratio_vs_jose: number;
  /** `verifyCached` of one cached token repeated (a new string per call, as per request): the last-hit slot, ns. Goal ≤ 1000. */
  token_cache_hit_ns: number;
  /** `verifyCached` of 100 cached tokens taking turns: the ordinary lookup (tail, map, whole-token compare), ns. */
  token_cache_lookup_ns: number;
  /** `checkCached` of a memoised claims object, ns. Goal ≤ 200. */
  revocation_cache_hit_ns: number;
  /** One audit line built and serialised straight from the facts into a sink, ns. Goal ≤ 1500. */
  audit_line_ns: number;
  /** Heap allocated per pipeline call as above, bytes. Goal ≤ 4096. */
  pipeline_alloc_bytes: number;
  /** Each figure's median and range, as measured. */
  spread: Record<string, Spread>;
  rounds: number;
}

// A young generation big enough that the allocation sample sees no collection
const ALLOC_FLAGS = ["--min-semi-space-size=64", "--max-semi-space-size=64"];

/** Runs the hot-path figures; quick mode 3 rounds with short loops, full mode 7 rounds. */
export async function benchHotPath(opts: { quick: boolean }): Promise<HotPathFigures> {
  const rounds = opts.quick ? 3 : 7;
  const extra = opts.quick ? ["--quick"] : [];
  const run = (figure: HotPathFigure, flags: string[] = []) => () => runIsolated(FIGURE_SCRIPT, [figure, ...extra], flags);
  const samples = await interleave(
    {
      pipeline_reused_token_ns: run("pipeline_reused_token"),
      jose_verify_ns: run("jose_verify"),
      pipeline_rotating_tokens_ns: run("pipeline_rotating_tokens"),
      token_cache_hit_ns: run("token_cache_hit"),
      token_cache_lookup_ns: run("token_cache_lookup"),
      revocation_cache_hit_ns: run("revocation_cache_hit"),
      audit_line_ns: run("audit_line"),
      pipeline_alloc_bytes: run("pipeline_alloc", ALLOC_FLAGS),
    },
    rounds,
    (round) => process.stdout.write(`  hot path round ${round}/${rounds}\n`),
  );
  const all: Record<string, Spread> = {};
  for (const [name, values] of Object.entries(samples)) all[name] = spread(values, 1);
  all.pipeline_ratio_vs_jose = spread(ratios(samples.jose_verify_ns, samples.pipeline_reused_token_ns), 1);
  all.pipeline_rotating_ratio_vs_jose = spread(ratios(samples.jose_verify_ns, samples.pipeline_rotating_tokens_ns), 1);
  return {
    pipeline_reused_token_ns: all.pipeline_reused_token_ns.median,
    pipeline_rotating_tokens_ns: all.pipeline_rotating_tokens_ns.median,
    jose_verify_ns: all.jose_verify_ns.median,
    pipeline_ratio_vs_jose: all.pipeline_ratio_vs_jose.median,
    pipeline_rotating_ratio_vs_jose: all.pipeline_rotating_ratio_vs_jose.median,
    token_cache_hit_ns: all.token_cache_hit_ns.median,
    token_cache_lookup_ns: all.token_cache_lookup_ns.median,
    revocation_cache_hit_ns: all.revocation_cache_hit_ns.median,
    audit_line_ns: all.audit_line_ns.median,
    pipeline_alloc_bytes: Math.round(all.pipeline_alloc_bytes.median),
    spread: all,
    rounds,
  };
}

// `node --import tsx test/bench/hot-path.ts [--quick]` runs these figures alone
if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(JSON.stringify(await benchHotPath({ quick: process.argv.includes("--quick") }), null, 2));
}
