// The forward-auth server as deployed, with its ops port: `/metrics` scraped and read with a
// Prometheus text-format parser (parse-prometheus-text-format), counts equal to the requests sent per
// decision; OpenMetrics exemplars carry the request's W3C trace id; `/ready` follows the key set.
import { spawnSync } from "node:child_process";
import { request as httpRequest } from "node:http";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import parsePrometheusTextFormat from "parse-prometheus-text-format";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFromEnv } from "../../../functions/node/main.ts";
import { httpBatchSink, memorySink, type AuditSink } from "../../../shared/audit/index.ts";
import { REVOCATION_AGE_BUCKETS_S } from "../../../shared/metrics/index.ts";
import { startAuditCollector } from "../../harness/audit-collector.ts";
import { compilePolicyProject } from "../../../tools/compiler/index.ts";
import { repoRoot } from "../../harness/corpus.ts";
import { EXAMPLE_AUDIENCE, EXAMPLE_ISSUER } from "../../harness/gatehouse-pipeline.ts";
import { startJwksServer, type JwksServer } from "../../harness/jwks-server.ts";
import { createTestKey, mintToken, type TestKey } from "../../harness/tokens.ts";

let work: string;
let key: TestKey;
let jwks: JwksServer;
const closers: (() => Promise<void>)[] = [];
const audit = memorySink();
const TRACE = "0af7651916cd43dd8448eb211c80319c";
// Prometheus's own linter of the exposition format (Debian's `prometheus` package; .ci/run installs it)
const promtool = spawnSync("promtool", ["--version"]).status === 0 || process.env.CI === "true";
const promtoolCheckMetrics = (text: string) => {
  const run = spawnSync("promtool", ["check", "metrics"], { input: text, encoding: "utf8" });
  return { status: run.status, problems: run.stdout + run.stderr };
};

beforeAll(async () => {
  mkdirSync(join(repoRoot, ".gatehouse"), { recursive: true });
  work = mkdtempSync(join(repoRoot, ".gatehouse", "test-forward-auth-metrics-"));
  key = await createTestKey("ES256");
  jwks = await startJwksServer([key.publicJwk]);
  compilePolicyProject({ policiesDir: join(repoRoot, "policies"), outFile: join(work, "policies.mjs") });
}, 60_000);
afterAll(async () => {
  await Promise.all(closers.map((close) => close()));
  await jwks?.stop();
  rmSync(work, { recursive: true, force: true });
});

async function start(jwksUri: string, name: string, auditSink: AuditSink = audit) {
  writeFileSync(join(work, `${name}.json`), JSON.stringify({
    token: { issuers: [{ issuer: EXAMPLE_ISSUER, name: "example", audience: EXAMPLE_AUDIENCE, algorithms: ["ES256"], jwksUri, jwksTimeoutMs: 500 }] },
    revocation: { store: { kind: "memory" } },
  }));
  const server = await startFromEnv({
    GATEHOUSE_CONFIG_FILE: join(work, `${name}.json`), GATEHOUSE_POLICIES: join(work, "policies.mjs"), GATEHOUSE_ROUTES_FILE: join(repoRoot, "policies", "routes.json"),
    PORT: "0", GATEHOUSE_OPS_PORT: "0", GATEHOUSE_PROXY: "nginx",
  }, { auditSink });
  closers.push(() => server.close());
  return server;
}

function get(url: string, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; body: string; contentType: string }>((resolve, reject) => {
    const req = httpRequest(url, { headers }, (res) => {
      let body = "";
      res.setEncoding("utf8").on("data", (chunk: string) => (body += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body, contentType: String(res.headers["content-type"]) }));
    });
    req.on("error", reject);
    req.end();
  });
}
const ask = (url: string, method: string, path: string, headers: Record<string, string> = {}) => get(`${url}/auth`, { "x-original-method": method, "x-original-uri": path, ...headers });
const viewer = () => mintToken(key, { tenant: "acme", groups: ["viewer"], scope: "orders:read", amr: ["pwd"] }, { issuer: EXAMPLE_ISSUER, audience: EXAMPLE_AUDIENCE, subject: "vera" });

describe("forward-auth: Prometheus /metrics on the ops port", () => {
  it("counts every request once, per decision and reason, in buckets from 50 µs to 100 ms", async () => {
    const server = await start(jwks.url, "up");
    expect(server.opsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const token = await viewer();
    const sent = { allowed: 4, policy_denied: 2, missing_token: 3 };
    for (let i = 0; i < sent.allowed; i++) expect((await ask(server.url, "GET", "/tenants/acme/orders/o-17", { authorization: `Bearer ${token}`, traceparent: `00-${TRACE}-b7ad6b7169203331-01` })).status).toBe(200);

    // The histogram first, while it has one label set: parse-prometheus-text-format 1.1 merges the
    // series of a labelled histogram into one (it keeps no labels on histogram samples)
    const first = parsePrometheusTextFormat((await get(`${server.opsUrl}/metrics`)).body);
    const latency = first.find((f) => f.name === "gatehouse_decision_duration_seconds")!;
    expect(latency.type).toBe("HISTOGRAM");
    expect(latency.metrics).toHaveLength(1);
    expect(Object.keys(latency.metrics[0].buckets!)).toEqual(["0.00005", "0.0001", "0.00025", "0.0005", "0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1", "+Inf"]);
    expect(Number(latency.metrics[0].buckets!["+Inf"])).toBe(sent.allowed);
    const bucketCounts = Object.values(latency.metrics[0].buckets!).map(Number);
    expect(bucketCounts).toEqual([...bucketCounts].sort((a, b) => a - b));

    for (let i = 0; i < sent.policy_denied; i++) expect((await ask(server.url, "DELETE", "/tenants/acme/orders/o-17", { authorization: `Bearer ${token}` })).status).toBe(403);
    for (let i = 0; i < sent.missing_token; i++) expect((await ask(server.url, "GET", "/tenants/acme/orders")).status).toBe(401);
    // the proxy named no request: refused before deciding, still counted
    expect((await get(`${server.url}/auth`)).status).toBe(403);

    const scrape = await get(`${server.opsUrl}/metrics`);
    expect(scrape.status).toBe(200);
    expect(scrape.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    if (promtool) expect(promtoolCheckMetrics(scrape.body)).toEqual({ status: 0, problems: "" });
    const families = parsePrometheusTextFormat(scrape.body);
    const family = (name: string) => families.find((f) => f.name === name)!;
    const decisions = family("gatehouse_decisions_total");
    expect(decisions.type).toBe("COUNTER");
    const count = (pred: (labels: Record<string, string>) => boolean) => decisions.metrics.filter((m) => pred(m.labels!)).reduce((n, m) => n + Number(m.value), 0);
    for (const [reason, n] of Object.entries(sent)) expect(count((l) => l.reason === reason), reason).toBe(n);
    expect(count((l) => l.decision === "allow")).toBe(sent.allowed);
    expect(count((l) => l.decision === "deny")).toBe(sent.policy_denied + sent.missing_token + 1);
    expect(count((l) => l.reason === "proxy_misconfigured" && l.route === "none")).toBe(1);
    for (const m of decisions.metrics) {
      expect(Object.keys(m.labels!).sort()).toEqual(["decision", "platform", "policy_version", "reason", "route"]);
      expect(m.labels!.platform).toBe("node");
      expect(JSON.stringify(m.labels)).not.toMatch(/vera|acme|o-17/);
    }
    expect(family("gatehouse_token_cache_requests_total").metrics.reduce((n, m) => n + Number(m.value), 0)).toBe(sent.allowed + sent.policy_denied);
    expect(family("gatehouse_policy_version_info").metrics).toHaveLength(1);
    expect(family("gatehouse_break_glass_decisions_total").metrics).toEqual([]);
    // every decision that reached the revocation check counts its answer's age: the first read the store
    // (le="0"), the rest the cache, younger than its ttlMs (5 s by default)
    const age = family("gatehouse_revocation_answer_age_seconds");
    expect(age.type).toBe("HISTOGRAM");
    expect(Object.keys(age.metrics[0].buckets!)).toEqual([...REVOCATION_AGE_BUCKETS_S.map(String), "+Inf"]);
    expect(Number(age.metrics[0].count)).toBe(sent.allowed + sent.policy_denied);
    expect(Number(age.metrics[0].buckets!["0"])).toBeGreaterThanOrEqual(1);
    expect(Number(age.metrics[0].buckets!["5"])).toBe(sent.allowed + sent.policy_denied);
    expect(family("gatehouse_audit_lines_dropped_total").metrics.map((m) => Number(m.value))).toEqual([0]);

    // OpenMetrics, as Prometheus asks for it with exemplars on: the trace id of a request that was decided
    const open = await get(`${server.opsUrl}/metrics`, { accept: "application/openmetrics-text; version=1.0.0" });
    expect(open.contentType).toMatch(/^application\/openmetrics-text/);
    expect(open.body).toMatch(new RegExp(`gatehouse_decision_duration_seconds_bucket\\{[^}]*decision="allow"[^}]*\\} \\d+ # \\{trace_id="${TRACE}"\\}`));
    // and the same trace id is in those requests' audit lines
    expect(audit.records.filter((r) => r.trace_id === TRACE)).toHaveLength(sent.allowed);
  });

  it("counts audit lines a real collector refused in gatehouse_audit_lines_dropped_total", async () => {
    const collector = await startAuditCollector();
    closers.push(() => collector.stop());
    collector.setMode("error");
    // one line per batch: the server flushes after each decision, so each request's line is one refused POST
    const server = await start(jwks.url, "dropping", httpBatchSink({ url: collector.url, batchSize: 1, flushIntervalMs: 0 }));
    const token = await viewer();
    for (let i = 0; i < 3; i++) expect((await ask(server.url, "GET", "/tenants/acme/orders/o-17", { authorization: `Bearer ${token}` })).status).toBe(200);
    expect((await ask(server.url, "GET", "/tenants/acme/orders")).status).toBe(401);
    expect(collector.received).toBe(4);
    const scrape = await get(`${server.opsUrl}/metrics`);
    if (promtool) expect(promtoolCheckMetrics(scrape.body)).toEqual({ status: 0, problems: "" });
    const families = parsePrometheusTextFormat(scrape.body);
    const dropped = families.find((f) => f.name === "gatehouse_audit_lines_dropped_total")!;
    expect(dropped.type).toBe("COUNTER");
    expect(dropped.metrics.map((m) => Number(m.value))).toEqual([4]);
    // the decisions themselves stand and are counted
    expect(families.find((f) => f.name === "gatehouse_decisions_total")!.metrics.reduce((n, m) => n + Number(m.value), 0)).toBe(4);
  });

  it("serves /health as liveness and /ready from the key set: ready with it, 503 naming it without", async () => {
    const up = await start(jwks.url, "ready-up");
    expect(await get(`${up.opsUrl}/health`)).toMatchObject({ status: 200 });
    const ready = await get(`${up.opsUrl}/ready`);
    expect(ready.status).toBe(200);
    expect(JSON.parse(ready.body)).toEqual({ ready: true, checks: { "jwks:example": "ok", revocation: "ok" } });

    const down = await start("http://127.0.0.1:9/jwks.json", "ready-down");
    expect(await get(`${down.opsUrl}/health`)).toMatchObject({ status: 200 });
    const notReady = await get(`${down.opsUrl}/ready`);
    expect(notReady.status).toBe(503);
    expect(JSON.parse(notReady.body)).toEqual({ ready: false, checks: { "jwks:example": "unavailable", revocation: "ok" } });
  });
});
