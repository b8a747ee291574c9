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

  it("names each platform-bound goal's floor beside it, and judges the goal on the issue's own anchor", () => {
    const worker = { ...latest.worker, ratio: 0.6, floor_ratio: 0.95, fresh_ratio: 0.4, fresh_floor_ratio: 0.9, identity_proxy_rps: 3_000, identity_proxy_ratio: 0.66, hono_jwk_floor_rps: 1_500 };
    const coldStart = { ...latest.cold_start_ms, lambda: 31, node_floor: 12, lambda_over_node_floor: 19 };
    const rows = goalsOf({ hotPath: hotPath(26.4, 19.7), policyEval: latest.policy_eval, worker, coldStart });
    const [reused, fresh, cold] = rows.slice(-3);
    expect(reused.figure).toContain("0.95× (floor_ratio, not judged)");
    expect([reused.value, reused.met]).toEqual([0.6, false]);
    expect(fresh.figure).toContain("0.9× (fresh_floor_ratio, not judged)");
    expect([fresh.value, fresh.met]).toEqual([0.4, false]);
    expect(cold.figure).toContain("19 ms (lambda_over_node_floor, not judged)");
    expect([cold.value, cold.met]).toEqual([31, false]);
    const section = benchSection({ ...latest, worker, cold_start_ms: coldStart });
    expect(section).toContain("leaves the forwarding Worker 0.66× its requests, and Gatehouse serves 0.95× that floor");
    expect(section).toContain("`gatehouse()` serves 0.9× Hono's `jwk` doing the same platform work");
    expect(section).toContain("takes 12 ms over `node -e 0`, so Gatehouse's own share is 19 ms.");
  });

  it("leaves the floors out of a run from before they were measured", () => {
    const { identity_proxy_rps: _i, identity_proxy_ratio: _ir, floor_ratio: _f, hono_jwk_floor_rps: _h, fresh_floor_ratio: _ff, ...worker } = latest.worker as unknown as Record<string, unknown>;
    const { node_floor: _n, lambda_over_node_floor: _l, ...coldStart } = latest.cold_start_ms as unknown as Record<string, unknown>;
    const older = { ...latest, worker: worker as unknown as typeof latest.worker, cold_start_ms: coldStart as unknown as typeof latest.cold_start_ms };
    const section = benchSection(older);
    expect(section).not.toContain("the platform work of an allow");
    expect(section).not.toContain("Gatehouse's own share is");
    expect(section).not.toContain("undefined");
    const rows = goalsOf({ hotPath: latest.hot_path, policyEval: latest.policy_eval, worker: older.worker, coldStart: older.cold_start_ms });
    for (const row of rows.slice(-3)) expect(row.figure).not.toContain("beside it");
  });
});
