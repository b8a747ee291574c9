// `npm run bench -- [--json FILE] [--quick]`: runs every benchmark one after another (never in
// parallel: they would compete for the machine's two cores), prints a table per group and, with
// --json, writes all figures under the keys documented in README.md. The hot-path and policy figures
// run each in a process of their own (isolated.ts); `goals` lists every goal of issue #22 with the
// figure measured. `node --import tsx test/bench/readme.ts FILE` regenerates README's tables from it.
import { writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { parseArgs } from "node:util";
import { benchPolicyEval } from "./policy-eval.ts";
import { benchJwtVerify } from "./jwt-verify.ts";
import { benchRevocation } from "./revocation.ts";
import { benchEntities } from "./entities.ts";
import { benchWorker } from "./worker.ts";
import { benchColdStart } from "./cold-start.ts";
import { benchAudit } from "./audit.ts";
import { goalsOf } from "./goals.ts";
import { benchHotPath } from "./hot-path.ts";
import { printTable } from "./table.ts";
import { benchPolicyBundle } from "./policy-bundle.ts";
import { benchSenderConstrained } from "./sender-constrained.ts";
import { benchMetrics } from "./metrics.ts";

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: { json: { type: "string" }, quick: { type: "boolean", default: false } },
});
const quick = values.quick ?? false;
const started = Date.now();

// Seconds each section took, so a slow quick mode points at its cause
const sectionSeconds: Record<string, number> = {};
let sectionStarted = Date.now();
let sectionName = "";

function section(title: string, name: string): void {
  endSection();
  sectionName = name;
  sectionStarted = Date.now();
  console.log(`\n## ${title}`);
}

function endSection(): void {
  if (sectionName === "") return;
  sectionSeconds[sectionName] = Math.round((Date.now() - sectionStarted) / 100) / 10;
  console.log(`(${sectionName}: ${sectionSeconds[sectionName]} s)`);
  sectionName = "";
}

section("Policy evaluation: compiled JS vs cedar-wasm statefulIsAuthorized (preparsed), ns per decision", "policy_eval");
const policyEval = await benchPolicyEval({ quick });
printTable(policyEval, ["set", "policies", "compiled_ns", "cedar_wasm_ns", "ratio", "compiled_range", "ratio_range"]);

// The policy bundle (IR loaded into closures) against the generated module
section("Policy bundle vs generated module, CPU ns per decision; large set built from IR bytes", "policy_bundle");
const policyBundle = await benchPolicyBundle({ quick });
printTable(policyBundle.rows, ["set", "policies", "module_ns", "bundle_ns", "ratio", "ratio_range", "ir_bytes"]);
console.log(`large set (${policyBundle.large_policies} policies) built from IR bytes in ${policyBundle.large_load_ms} ms CPU; from its signed bundle (${policyBundle.large_signed_bytes} bytes) in ${policyBundle.large_signed_load_ms} ms`);

section("Hot path, each figure in its own process (CPU ns per call, medians over interleaved rounds)", "hot_path");
const hotPath = await benchHotPath({ quick });
printTable(
  Object.entries(hotPath.spread).map(([figure, s]) => ({ figure, median: s.median, min: s.min, max: s.max })),
  ["figure", "median", "min", "max"],
);

// Decision metrics on vs off, a ratio measured inside each process (goal ≤ 1.05 for the core)
section("Metrics overhead (pipeline time with metrics on / off, per emitter)", "metrics");
const metricsOverhead = await benchMetrics({ quick });
printTable([metricsOverhead as unknown as Record<string, unknown>], ["emf_ratio", "analytics_engine_ratio", "prometheus_ratio", "rounds"]);

section("JWT verification, ops/s", "jwt_verify");
const jwtVerify = await benchJwtVerify({ quick });
printTable(jwtVerify, ["alg", "uncached_ops_s", "cached_ops_s"]);

// Introspection cache hit and DPoP proof check per request, beside a bearer JWT, in one process
section("Opaque and sender-constrained tokens beside a bearer JWT, µs per request (interleaved rounds)", "sender_constrained");
const senderConstrained = await benchSenderConstrained({ quick });
printTable(senderConstrained as unknown as Record<string, unknown>[], ["case", "us_per_request", "vs_bearer_verify", "vs_bearer_cached"]);

section("Revocation lookups on loopback", "revocation");
const revocation = await benchRevocation({ quick });
printTable(revocation, ["store", "p50_us", "p99_us", "cached_ns"]);

// The pipeline with entity cache hits against the same without entities; an entity-store miss on loopback redis
section("Live entities: cache hits vs none, store miss on loopback redis", "entities");
const entities = await benchEntities({ quick });
printTable([entities as unknown as Record<string, unknown>], Object.keys(entities));

section("Audit overhead", "audit");
const audit = await benchAudit({ quick });
printTable([audit as unknown as Record<string, unknown>], Object.keys(audit));

section("Lambda cold start (new process: import + first decision), ms net of a bare `node -e 0`", "cold_start");
const coldStart = await benchColdStart({ quick });
printTable([coldStart as unknown as Record<string, unknown>], Object.keys(coldStart));

section("Worker in Miniflare on loopback (autocannon)", "worker");
const worker = await benchWorker({ quick });
printTable(worker.rows, ["variant", "rps", "p50_ms", "p99_ms", "what"]);
printTable([worker], ["ratio", "logging_proxy_ratio", "logging_ratio", "fresh_ratio", "middleware_ratio", "direct_ratio", "metrics_ratio", "worker_gzip_bytes"]);

endSection();

const figures = {
  date: new Date().toISOString(),
  machine: { cpus: cpus().length, cpu_model: cpus()[0]?.model ?? "unknown", memory_gib: Math.round(totalmem() / 2 ** 30), node: process.version },
  quick,
  goals: goalsOf({ hotPath, policyEval, worker, coldStart }),
  hot_path: hotPath,
  policy_eval: policyEval,
  policy_bundle: policyBundle,
  jwt_verify: jwtVerify,
  sender_constrained: senderConstrained,
  revocation,
  worker,
  bundle: { worker_gzip_bytes: worker.worker_gzip_bytes, lambda_gzip_bytes: coldStart.lambda_gzip_bytes },
  cold_start_ms: { lambda: coldStart.lambda, lambda_cedar_wasm: coldStart.lambda_cedar_wasm, node_bare: coldStart.node_bare, empty_handler: coldStart.empty_handler, lambda_over_empty_handler: coldStart.lambda_over_empty_handler, node_floor: coldStart.node_floor, lambda_over_node_floor: coldStart.lambda_over_node_floor },
  audit_overhead_ns: audit.audit_overhead_ns,
  audit,
  metrics_overhead: metricsOverhead,
  entities,
  section_s: sectionSeconds,
  duration_s: Math.round((Date.now() - started) / 1000),
};

if (values.json) {
  writeFileSync(values.json, `${JSON.stringify(figures, null, 2)}\n`);
  console.log(`\nfigures written to ${values.json}`);
}
console.log("\nGoals (issue #22):");
printTable(figures.goals, ["figure", "value", "goal", "met"]);
console.log(`\nbench finished in ${figures.duration_s} s${quick ? " (--quick)" : ""}`);
