// The cost of decision metrics on the hot path, measured in one process: the same warm pipeline
// (cached token, revocation answer and principal; audit line serialised) built twice, metrics off and
// on, timed in alternating batches so both see the same JIT, heap and machine load. Prints
// `{"value": on/off}` (the median of per-batch ratios) for the emitter named:
//   node --expose-gc --import tsx test/bench/metrics-figure.ts emf|analytics_engine|prometheus [--quick]
import { stdoutSink } from "../../shared/audit/index.ts";
import { frozenClock } from "../../shared/clock/index.ts";
import { analyticsEngineMetrics, emfMetrics, type DecisionMetrics } from "../../shared/metrics/index.ts";
import { createAuthorizer, type AuthorizeInput } from "../../shared/pipeline/index.ts";
import { createMemoryStore } from "../../shared/revocation/index.ts";
import { prometheusMetrics } from "../../functions/node/metrics.ts";
import { EXAMPLE_AUDIENCE, EXAMPLE_ISSUER, EXAMPLE_START_MS, examplePolicies, exampleRoutes, mintExampleViewerToken } from "../harness/gatehouse-pipeline.ts";
import { createTestKey } from "../harness/index.ts";

export const METRICS_FIGURES = ["emf", "analytics_engine", "prometheus"] as const;
type MetricsFigure = (typeof METRICS_FIGURES)[number];

let blackhole = 0;
const quick = process.argv.includes("--quick");
const clock = frozenClock(EXAMPLE_START_MS);
const key = await createTestKey("RS256", "bench-rs256");
const header = `Bearer ${await mintExampleViewerToken(key)}`;

function cpuNow(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) * 1000;
}

function emitter(figure: MetricsFigure): DecisionMetrics {
  switch (figure) {
    case "emf":
      // Lambda flushes per invocation; here the table fills to 100 latencies and writes, as a busy batch would
      return emfMetrics({ writeLine: (line) => void (blackhole += line.length), now: clock.now });
    case "analytics_engine":
      return analyticsEngineMetrics({ writeDataPoint: (point) => void (blackhole += point.doubles!.length) });
    case "prometheus":
      return prometheusMetrics();
  }
}

async function pipeline(metrics: DecisionMetrics | null) {
  const authorize = createAuthorizer(
    {
      token: { issuers: [{ issuer: EXAMPLE_ISSUER, audience: EXAMPLE_AUDIENCE, algorithms: ["RS256"], jwks: { keys: [key.publicJwk] } }] },
      routes: exampleRoutes(),
      revocation: { store: { kind: "memory" }, ttlMs: 300_000 },
    },
    { policies: await examplePolicies(), revocationStore: createMemoryStore(), auditSink: stdoutSink({ writeLine: (line) => void (blackhole += line.length) }), clock, metrics },
  );
  const input: AuthorizeInput = {
    platform: "node", method: "GET", path: "/tenants/acme/orders/o-17", clientIp: "203.0.113.7",
    headers: new Headers({ authorization: header, traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01" }),
  };
  if (!(await authorize(input)).allow) throw new Error("bench request denied");
  return () => void authorize.decide(input);
}

const figure = process.argv[2] as MetricsFigure;
if (!METRICS_FIGURES.includes(figure)) throw new Error(`unknown figure \`${figure}\`; expected one of ${METRICS_FIGURES.join(", ")}`);
const off = await pipeline(null);
const on = await pipeline(emitter(figure));
const n = quick ? 5_000 : 20_000;
const batch = (run: () => void) => {
  const started = cpuNow();
  for (let i = 0; i < n; i++) run();
  return (cpuNow() - started) / n;
};
batch(off);
batch(on);
const ratios: number[] = [];
for (let round = 0; round < (quick ? 5 : 11); round++) {
  // alternate which goes first, so neither always follows the other's garbage
  const [a, b] = round % 2 === 0 ? [batch(off), batch(on)] : [batch(on), batch(off)].reverse();
  ratios.push(b / a);
}
ratios.sort((x, y) => x - y);
process.stdout.write(`${JSON.stringify({ value: Math.round(ratios[Math.floor(ratios.length / 2)] * 1000) / 1000, sink: blackhole > 0 ? 1 : 0 })}\n`);
