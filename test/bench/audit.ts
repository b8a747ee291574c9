// Audit overhead per decision, with the real code. Three views:
//  - the audit logger alone: building one line from realistic pipeline facts (`build_ns`), and
//    building plus serialising it into a sink that stringifies and discards (`audit_overhead_ns`;
//    stdout minus the I/O, which the platform does after the response);
//  - the real pipeline (example policies, ES256 token, memory revocation store, cached verify) with
//    that serialising sink (`pipeline_ns`) and with a sink that discards without serialising
//    (`pipeline_nosink_ns`). The pipeline always builds its line, so the "without audit" figure is
//    `pipeline_ns - audit_overhead_ns` (`pipeline_without_audit_ns`) and `audit_share_pct` is the
//    audit's share of a decision;
//  - the HTTP batch sink to a loopback collector, per line including the POSTs (`http_sink_line_ns`).
import { decodeJwt } from "jose";
import { createAuditLogger, httpBatchSink, type AuditRecord, type AuditSink, type DecisionFacts } from "../../shared/audit/index.ts";
import { frozenClock } from "../../shared/clock/index.ts";
import { createAuthorizer, type AuthorizeInput } from "../../shared/pipeline/index.ts";
import { createMemoryStore } from "../../shared/revocation/index.ts";
import { EXAMPLE_AUDIENCE, EXAMPLE_ISSUER, EXAMPLE_START_MS, examplePolicies, exampleRoutes } from "../harness/gatehouse-pipeline.ts";
import { createTestKey, mintToken, startAuditCollector } from "../harness/index.ts";
import { decisionPaths } from "../shared/audit/fixtures.ts";

export interface AuditBenchFigures {
  /** Build one line from the facts, ns. */
  build_ns: number;
  /** Build plus JSON.stringify into a discarding sink: the per-decision cost of auditing, ns. */
  audit_overhead_ns: number;
  /** JSON.stringify of one line alone, ns. */
  serialize_ns: number;
  /** Build with `clientIp: "hash"` (HMAC-SHA-256 in JS), ns. */
  build_hash_ip_ns: number;
  /** Size of the serialised line, bytes. */
  line_bytes: number;
  /** One real pipeline decision (allow, cached token) with the serialising sink, ns. */
  pipeline_ns: number;
  /** The same with a sink that discards without serialising, ns. */
  pipeline_nosink_ns: number;
  /** `pipeline_ns - audit_overhead_ns`: the decision without its audit line, ns. */
  pipeline_without_audit_ns: number;
  /** Audit's share of a decision, percent. */
  audit_share_pct: number;
  /** HTTP batch sink to a loopback collector (batches of 100, flushed), per line, ns. */
  http_sink_line_ns: number;
}

let blackhole = 0;
const serialisingSink: AuditSink = {
  write(record: AuditRecord) {
    blackhole += JSON.stringify(record).length;
  },
  flush: () => Promise.resolve(),
};
const discardingSink: AuditSink = { write() {}, flush: () => Promise.resolve() };

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** ns per call of `fn`: median over `rounds` rounds of `iterations` calls, after one warm-up round. */
function measureSync(fn: () => void, iterations: number, rounds: number): number {
  for (let i = 0; i < iterations; i++) fn();
  const results: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const started = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) fn();
    results.push(Number(process.hrtime.bigint() - started) / iterations);
  }
  return median(results);
}

async function measureAsync(fn: () => Promise<unknown>, iterations: number, rounds: number): Promise<number> {
  for (let i = 0; i < iterations; i++) await fn();
  const results: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const started = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) await fn();
    results.push(Number(process.hrtime.bigint() - started) / iterations);
  }
  return median(results);
}

/** Audit overhead figures; quick mode takes a few seconds, full mode under a minute. */
export async function benchAudit(opts: { quick: boolean }): Promise<AuditBenchFigures> {
  const iterations = opts.quick ? 2_000 : 20_000;
  const rounds = opts.quick ? 3 : 5;
  const clock = frozenClock(EXAMPLE_START_MS);

  // Realistic facts: a policy allow with a real token's claims, trace header and client address
  const key = await createTestKey("ES256");
  const token = await mintToken(key, { tenant: "acme", groups: ["viewer"], scope: "orders:read", amr: ["pwd"] }, {
    issuer: EXAMPLE_ISSUER,
    audience: EXAMPLE_AUDIENCE,
    subject: "vera",
    now: Math.floor(EXAMPLE_START_MS / 1000),
    ttlSeconds: 3600,
  });
  const facts: DecisionFacts = decisionPaths(decodeJwt(token) as Record<string, unknown>).allow_by_policy;

  const logger = createAuditLogger({}, { platform: "worker", sink: serialisingSink, clock });
  const hashing = createAuditLogger({ clientIp: "hash", clientIpSalt: "bench-salt-0123456789" }, { platform: "worker", sink: serialisingSink, clock });
  const record = logger.build(facts);

  const build_ns = measureSync(() => void logger.build(facts), iterations, rounds);
  const audit_overhead_ns = measureSync(() => void logger.log(facts), iterations, rounds);
  const serialize_ns = measureSync(() => void (blackhole += JSON.stringify(record).length), iterations, rounds);
  const build_hash_ip_ns = measureSync(() => void hashing.build(facts), iterations, rounds);
  const line_bytes = new TextEncoder().encode(JSON.stringify(record)).length;

  // The real pipeline, answering from the verified-token and revocation caches as it does when warm
  const policies = await examplePolicies();
  const config = {
    token: { issuers: [{ issuer: EXAMPLE_ISSUER, audience: EXAMPLE_AUDIENCE, algorithms: ["ES256" as const], jwks: { keys: [key.publicJwk] } }] },
    routes: exampleRoutes(),
    revocation: { store: { kind: "memory" as const }, ttlMs: 300_000 },
  };
  const input: AuthorizeInput = {
    platform: "worker",
    method: "GET",
    path: "/tenants/acme/orders/o-17",
    headers: new Headers({ authorization: `Bearer ${token}`, traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01" }),
    clientIp: "203.0.113.7",
  };
  const withSink = (sink: AuditSink) =>
    createAuthorizer(config, { policies, revocationStore: createMemoryStore(), auditSink: sink, clock });
  const serialising = withSink(serialisingSink);
  const discarding = withSink(discardingSink);
  const check = await serialising(input);
  if (!check.allow) throw new Error(`bench request denied: ${check.reason}`);
  const pipelineIterations = Math.max(500, iterations / 5);
  // interleave the two so machine noise hits both alike
  const withAudit: number[] = [];
  const noSink: number[] = [];
  for (let r = 0; r < rounds; r++) {
    withAudit.push(await measureAsync(() => serialising(input), pipelineIterations, 1));
    noSink.push(await measureAsync(() => discarding(input), pipelineIterations, 1));
  }
  const pipeline_ns = median(withAudit);
  const pipeline_nosink_ns = median(noSink);

  // HTTP batch sink against a real loopback collector
  const collector = await startAuditCollector();
  let http_sink_line_ns = 0;
  try {
    const sink = httpBatchSink({ url: collector.url, batchSize: 100, maxBuffer: 1000, flushIntervalMs: 0 });
    const httpLogger = createAuditLogger({}, { platform: "worker", sink, clock });
    const lines = opts.quick ? 1_000 : 10_000;
    for (let i = 0; i < 200; i++) httpLogger.log(facts);
    await httpLogger.flush();
    const started = process.hrtime.bigint();
    for (let i = 0; i < lines; i += 100) {
      for (let j = 0; j < 100; j++) httpLogger.log(facts);
      await httpLogger.flush();
    }
    http_sink_line_ns = Number(process.hrtime.bigint() - started) / lines;
    if (sink.dropped > 0) throw new Error(`http sink dropped ${sink.dropped} lines in the bench`);
  } finally {
    await collector.stop();
  }

  const round = (n: number) => Math.round(n);
  return {
    build_ns: round(build_ns),
    audit_overhead_ns: round(audit_overhead_ns),
    serialize_ns: round(serialize_ns),
    build_hash_ip_ns: round(build_hash_ip_ns),
    line_bytes,
    pipeline_ns: round(pipeline_ns),
    pipeline_nosink_ns: round(pipeline_nosink_ns),
    pipeline_without_audit_ns: round(pipeline_ns - audit_overhead_ns),
    audit_share_pct: Math.round((1000 * audit_overhead_ns) / pipeline_ns) / 10,
    http_sink_line_ns: round(http_sink_line_ns),
  };
}

// `node --import tsx test/bench/audit.ts [--quick]` runs this benchmark alone
if (import.meta.url === `file://${process.argv[1]}`) {
  const figures = await benchAudit({ quick: process.argv.includes("--quick") });
  console.log(JSON.stringify(figures, null, 2));
  if (blackhole < 0) console.log(blackhole);
}
