// Metrics on vs off, per emitter: each figure is the median over rounds of an in-process ratio
// (metrics-figure.ts), so machine load hits both sides alike. Goal: ≤ 1.05 (at most 5 % slower).
import { fileURLToPath } from "node:url";
import { interleave, runIsolated, spread, type Spread } from "./isolated.ts";

const FIGURE_SCRIPT = fileURLToPath(new URL("./metrics-figure.ts", import.meta.url));

/** The `metrics` section of the bench JSON: pipeline time with metrics on / off, per emitter. */
export interface MetricsOverhead {
  emf_ratio: number;
  analytics_engine_ratio: number;
  prometheus_ratio: number;
  spread: Record<string, Spread>;
  rounds: number;
}

export async function benchMetrics(opts: { quick: boolean }): Promise<MetricsOverhead> {
  const rounds = opts.quick ? 3 : 5;
  const extra = opts.quick ? ["--quick"] : [];
  const run = (figure: string) => () => runIsolated(FIGURE_SCRIPT, [figure, ...extra]);
  const samples = await interleave({ emf_ratio: run("emf"), analytics_engine_ratio: run("analytics_engine"), prometheus_ratio: run("prometheus") }, rounds);
  const all: Record<string, Spread> = {};
  for (const [name, values] of Object.entries(samples)) all[name] = spread(values, 3);
  return { emf_ratio: all.emf_ratio.median, analytics_engine_ratio: all.analytics_engine_ratio.median, prometheus_ratio: all.prometheus_ratio.median, spread: all, rounds };
}

// `node --import tsx test/bench/metrics.ts [--quick]` runs these figures alone
if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(JSON.stringify(await benchMetrics({ quick: process.argv.includes("--quick") }), null, 2));
}
