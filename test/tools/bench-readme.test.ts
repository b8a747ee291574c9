// The bench's wiring: README's benchmark section is what test/bench/readme.ts makes of
// docs/bench-latest.json, and the pipeline goal names the figure it judges with the rotating-token
// figure beside it, so a best case is never read as the typical request.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import type { ColdStartFigures } from "../bench/cold-start.ts";
import { goalsOf } from "../bench/goals.ts";
import type { HotPathFigures } from "../bench/hot-path.ts";
import { benchSection, replaceSection } from "../bench/readme.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const latest = JSON.parse(readFileSync(`${ROOT}/docs/bench-latest.json`, "utf8")) as Parameters<typeof benchSection>[0] & {
  policy_eval: Parameters<typeof goalsOf>[0]["policyEval"];
  cold_start_ms: ColdStartFigures;
};

// The last run's hot path with both pipeline figures and both token-cache figures set apart
function hotPath(reusedRatio: number, rotatingRatio: number): HotPathFigures {
  return {
    ...latest.hot_path,
    pipeline_reused_token_ns: 3_200,
    pipeline_rotating_tokens_ns: 4_100,
    pipeline_ratio_vs_jose: reusedRatio,
    pipeline_rotating_ratio_vs_jose: rotatingRatio,
    token_cache_hit_ns: 190,
    token_cache_lookup_ns: 340,
    spread: {
      ...latest.hot_path.spread,
      pipeline_rotating_tokens_ns: { median: 4_100, min: 4_000, max: 4_300, rounds: 7 },
      pipeline_rotating_ratio_vs_jose: { median: rotatingRatio, min: rotatingRatio - 1, max: rotatingRatio + 1, rounds: 7 },
    },
  };
}

function goals(hot: HotPathFigures) {
  return goalsOf({ hotPath: hot, policyEval: latest.policy_eval, worker: latest.worker, coldStart: latest.cold_start_ms });
}

describe("bench README", () => {
  it("holds the section test/bench/readme.ts generates from docs/bench-latest.json", () => {
    const readme = readFileSync(`${ROOT}/README.md`, "utf8");
    expect(replaceSection(readme, benchSection(latest))).toBe(readme);
  });

  it("judges the ratio goal on one token repeated and names the rotating-token ratio beside it", () => {
    const met = goals(hotPath(26.4, 19.7))[0];
    expect(met.value).toBe(26.4);
    expect(met.met).toBe(true);
    expect(met.figure).toContain("(pipeline_ratio_vs_jose; judged)");
    expect(met.figure).toContain("100 tokens taking turns: 19.7× (pipeline_rotating_ratio_vs_jose, not judged)");
    // the rotating figure clearing the goal does not make it met
    expect(goals(hotPath(24.9, 30))[0].met).toBe(false);
    const cache = goals(hotPath(26.4, 19.7))[1];
    expect(cache.value).toBe(190);
    expect(cache.figure).toContain("100 tokens taking turns: 340 ns (token_cache_lookup_ns, not judged)");
  });

  it("shows both pipeline figures, both ratios and both token-cache figures in the hot-path table", () => {
    const section = benchSection({ ...latest, hot_path: hotPath(26.4, 19.7) });
    expect(section).toContain("| pipeline decision, one token repeated (the memos' best case), ns | 3,200 |");
    expect(section).toContain("| pipeline decision, 100 cached tokens taking turns, ns | 4,100 | 4,000–4,300 |");
    expect(section).toContain("| jose / pipeline, 100 tokens taking turns | 19.7× | 18.7–20.7 |");
    expect(section).toContain("| verified-token cache lookup, 100 tokens taking turns, ns | 340 |");
  });

  it("reads a run from before the rotating figures as not measured, not as a number", () => {
    const { pipeline_rotating_tokens_ns: _, pipeline_rotating_ratio_vs_jose: __, ...older } = hotPath(26.4, 19.7);
    // An older run has neither the figures nor their ranges
    const { pipeline_rotating_tokens_ns: _r, pipeline_rotating_ratio_vs_jose: _rr, token_cache_lookup_ns: _l, ...olderSpread } = latest.hot_path.spread as Record<string, unknown>;
    const section = benchSection({ ...latest, hot_path: { ...older, spread: olderSpread } as unknown as HotPathFigures });
    expect(section).toContain("| jose / pipeline, 100 tokens taking turns | - | - |");
    expect(goals(older as HotPathFigures)[0].figure).not.toContain("beside it");
  });
});
