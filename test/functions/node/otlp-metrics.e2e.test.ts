// The forward-auth server's optional OTLP/HTTP metrics export: a real server with the real
// OpenTelemetry exporter, pushing to a real local HTTP receiver; the decoded data points count the
// requests sent, per decision and reason, and agree with the Prometheus scrape of the same server.
import { request as httpRequest } from "node:http";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import parsePrometheusTextFormat from "parse-prometheus-text-format";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { startFromEnv } from "../../../functions/node/main.ts";
import { memorySink } from "../../../shared/audit/index.ts";
import { ConfigError } from "../../../shared/errors.ts";
import { LATENCY_BUCKETS_MS, REVOCATION_AGE_BUCKETS_S } from "../../../shared/metrics/buckets.ts";
import { compilePolicyProject } from "../../../tools/compiler/index.ts";
import { repoRoot } from "../../harness/corpus.ts";
import { BROAD_DENY, writeVariantProject } from "../../harness/canary-candidate.ts";
import { EXAMPLE_AUDIENCE, EXAMPLE_ISSUER } from "../../harness/gatehouse-pipeline.ts";
import { startJwksServer, type JwksServer } from "../../harness/jwks-server.ts";
import { otlpAttributes, otlpMetric, startOtlpCollector, type OtlpCollector, type OtlpExportRequest } from "../../harness/otlp-collector.ts";
import { createTestKey, mintToken, type TestKey } from "../../harness/tokens.ts";

let work: string;
let key: TestKey;
let jwks: JwksServer;
let collector: OtlpCollector;
const closers: (() => Promise<void>)[] = [];

beforeAll(async () => {
  mkdirSync(join(repoRoot, ".gatehouse"), { recursive: true });
  work = mkdtempSync(join(repoRoot, ".gatehouse", "test-forward-auth-otlp-"));
  key = await createTestKey("ES256");
  jwks = await startJwksServer([key.publicJwk]);
  collector = await startOtlpCollector();
  compilePolicyProject({ policiesDir: join(repoRoot, "policies"), outFile: join(work, "policies.mjs") });
  compilePolicyProject({ policiesDir: join(repoRoot, "examples", "break-glass"), outFile: join(work, "break-glass.mjs") });
  const candidate = writeVariantProject(BROAD_DENY);
  try {
    compilePolicyProject({ policiesDir: candidate.dir, outFile: join(work, "candidate.mjs") });
  } finally {
    candidate.remove();
  }
}, 60_000);
afterAll(async () => {
  await Promise.all(closers.map((close) => close()));
  await jwks?.stop();
  await collector?.stop();
  rmSync(work, { recursive: true, force: true });
});

async function start(name: string, metrics: unknown, env: Record<string, string> = {}, extra: Record<string, unknown> = {}) {
  writeFileSync(join(work, `${name}.json`), JSON.stringify({
    token: { issuers: [{ issuer: EXAMPLE_ISSUER, name: "example", audience: EXAMPLE_AUDIENCE, algorithms: ["ES256"], jwksUri: jwks.url, jwksTimeoutMs: 500 }] },
    revocation: { store: { kind: "memory" } },
    ...(metrics === undefined ? {} : { metrics }),
    ...extra,
  }));
  const server = await startFromEnv({
    GATEHOUSE_CONFIG_FILE: join(work, `${name}.json`), GATEHOUSE_POLICIES: join(work, "policies.mjs"), GATEHOUSE_ROUTES_FILE: join(repoRoot, "policies", "routes.json"),
    PORT: "0", GATEHOUSE_OPS_PORT: "0", GATEHOUSE_PROXY: "nginx", ...env,
  }, { auditSink: memorySink() });
  let closed = false;
  const close = async () => {
    if (!closed) (closed = true), await server.close();
  };
  closers.push(close);
  return { ...server, close };
}

function get(url: string, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = httpRequest(url, { headers }, (res) => {
      let body = "";
      res.setEncoding("utf8").on("data", (chunk: string) => (body += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.end();
  });
}
const ask = (url: string, method: string, path: string, headers: Record<string, string> = {}) => get(`${url}/auth`, { "x-original-method": method, "x-original-uri": path, ...headers });
const viewer = () => mintToken(key, { tenant: "acme", groups: ["viewer"], scope: "orders:read", amr: ["pwd"] }, { issuer: EXAMPLE_ISSUER, audience: EXAMPLE_AUDIENCE, subject: "vera" });

/** Sends the mix below; answers are checked, so a count in the export is a count of these requests. */
async function sendMix(url: string) {
  const token = await viewer();
  const sent = { allowed: 4, policy_denied: 2, missing_token: 3, proxy_misconfigured: 1 };
  for (let i = 0; i < sent.allowed; i++) expect((await ask(url, "GET", "/tenants/acme/orders/o-17", { authorization: `Bearer ${token}` })).status).toBe(200);
  for (let i = 0; i < sent.policy_denied; i++) expect((await ask(url, "DELETE", "/tenants/acme/orders/o-17", { authorization: `Bearer ${token}` })).status).toBe(403);
  for (let i = 0; i < sent.missing_token; i++) expect((await ask(url, "GET", "/tenants/acme/orders")).status).toBe(401);
  // the proxy named no request: refused before deciding, still counted
  expect((await get(`${url}/auth`)).status).toBe(403);
  return sent;
}

const num = (value: number | string | undefined) => Number(value ?? 0);
/** `gatehouse_decisions_total` of an export: label set (JSON) -> count. */
function decisionsOf(body: OtlpExportRequest) {
  const metric = otlpMetric(body, "gatehouse_decisions_total");
  return new Map((metric?.sum?.dataPoints ?? []).map((p) => [JSON.stringify(Object.entries(otlpAttributes(p)).sort()), num(p.asInt ?? p.asDouble)]));
}
const total = (body: OtlpExportRequest, pred: (labels: Record<string, string>) => boolean) =>
  (otlpMetric(body, "gatehouse_decisions_total")?.sum?.dataPoints ?? []).filter((p) => pred(otlpAttributes(p))).reduce((n, p) => n + num(p.asInt ?? p.asDouble), 0);

describe("forward-auth: OTLP/HTTP metrics export", () => {
  it("exports on close what was decided: counts per decision and reason, the latency histogram, the Prometheus scrape's numbers", async () => {
    const server = await start("config", { otlp: { endpoint: `${collector.origin}/v1/metrics`, intervalMs: 3_600_000, headers: { "x-collector-key": "k-123" } } });
    const before = collector.requests.length;
    const sent = await sendMix(server.url);
    const scrape = parsePrometheusTextFormat((await get(`${server.opsUrl}/metrics`)).body);
    // An hour's interval: nothing was pushed yet, so the one export below is the flush on close
    expect(collector.requests.length).toBe(before);
    const exported = collector.next((r) => r.path === "/v1/metrics");
    await server.close();
    const request = await exported;
    expect(collector.requests.length).toBe(before + 1);
    expect(request.contentType).toBe("application/json");
    expect(request.headers["x-collector-key"]).toBe("k-123");
    const body = request.body!;
    expect(body.resourceMetrics).toHaveLength(1);
    expect(otlpAttributes(body.resourceMetrics[0].resource!)["service.name"]).toBe("gatehouse-forward-auth");

    const decisions = otlpMetric(body, "gatehouse_decisions_total")!;
    expect(decisions.sum!.isMonotonic).toBe(true);
    expect(decisions.sum!.aggregationTemporality).toBe(2); // AGGREGATION_TEMPORALITY_CUMULATIVE
    for (const [reason, n] of Object.entries(sent)) expect(total(body, (l) => l.reason === reason), reason).toBe(n);
    expect(total(body, (l) => l.decision === "allow")).toBe(sent.allowed);
    expect(total(body, (l) => l.decision === "deny")).toBe(sent.policy_denied + sent.missing_token + sent.proxy_misconfigured);
    expect(total(body, (l) => l.reason === "proxy_misconfigured" && l.route === "none")).toBe(1);
    for (const point of decisions.sum!.dataPoints) {
      expect(Object.keys(otlpAttributes(point)).sort()).toEqual(["decision", "platform", "policy_version", "reason", "route"]);
      expect(otlpAttributes(point).platform).toBe("node");
      expect(JSON.stringify(point.attributes)).not.toMatch(/vera|acme|o-17/);
    }
    // The same label sets and counts as the scrape of /metrics (one table behind both)
    const scraped = scrape.find((f) => f.name === "gatehouse_decisions_total")!.metrics;
    expect(decisionsOf(body)).toEqual(new Map(scraped.map((m) => [JSON.stringify(Object.entries(m.labels!).sort()), Number(m.value)])));

    const latency = otlpMetric(body, "gatehouse_decision_duration_seconds")!;
    expect(latency.unit).toBe("s");
    expect(latency.histogram!.aggregationTemporality).toBe(2);
    const requests = Object.values(sent).reduce((a, b) => a + b, 0);
    const points = latency.histogram!.dataPoints;
    expect(points.reduce((n, p) => n + num(p.count), 0)).toBe(requests);
    expect(points.filter((p) => otlpAttributes(p).decision === "allow").reduce((n, p) => n + num(p.count), 0)).toBe(sent.allowed);
    for (const p of points) {
      expect(Object.keys(otlpAttributes(p)).sort()).toEqual(["decision", "platform", "route"]);
      expect(p.explicitBounds).toEqual(LATENCY_BUCKETS_MS.map((ms) => ms / 1000));
      expect(p.bucketCounts.map(num).reduce((a, b) => a + b, 0)).toBe(num(p.count));
      expect(p.sum).toBeGreaterThanOrEqual(0);
    }
    // a refusal before deciding may take no measurable time; a verified, decided request does
    expect(points.filter((p) => otlpAttributes(p).decision === "allow").every((p) => p.sum! > 0)).toBe(true);
    const tokenCache = otlpMetric(body, "gatehouse_token_cache_requests_total")!.sum!.dataPoints;
    expect(tokenCache.reduce((n, p) => n + num(p.asInt), 0)).toBe(sent.allowed + sent.policy_denied);
    expect(otlpMetric(body, "gatehouse_policy_version_info")!.gauge!.dataPoints).toHaveLength(1);
    // no break-glass token was sent: no point (as Prometheus has no sample)
    expect(otlpMetric(body, "gatehouse_break_glass_decisions_total")).toBeUndefined();

    // Revocation answer ages: one per decision that reached the revocation check, the scrape's count and buckets
    const ages = otlpMetric(body, "gatehouse_revocation_answer_age_seconds")!.histogram!.dataPoints;
    expect(ages).toHaveLength(1);
    expect(num(ages[0].count)).toBe(sent.allowed + sent.policy_denied);
    expect(ages[0].explicitBounds).toEqual([...REVOCATION_AGE_BUCKETS_S]);
    const scrapedAges = scrape.find((f) => f.name === "gatehouse_revocation_answer_age_seconds")!.metrics[0] as { count: string; buckets: Record<string, string> };
    expect(num(ages[0].count)).toBe(Number(scrapedAges.count));
    // the first answer came from the store (age 0), the rest from the cache, within the 0 s..1 s buckets
    expect(num(ages[0].bucketCounts[0])).toBe(Number(scrapedAges.buckets["0"]));
    expect(num(ages[0].bucketCounts[0])).toBeGreaterThanOrEqual(1);
    // Audit lines dropped: exported even when none were (a counter at 0), as the scrape shows it
    const dropped = otlpMetric(body, "gatehouse_audit_lines_dropped_total")!.sum!.dataPoints;
    expect(dropped.map((p) => num(p.asInt ?? p.asDouble))).toEqual([0]);
    expect(Number(scrape.find((f) => f.name === "gatehouse_audit_lines_dropped_total")!.metrics[0].value)).toBe(0);
  });

  it("follows OTEL_EXPORTER_OTLP_ENDPOINT and OTEL_METRIC_EXPORT_INTERVAL: pushes cumulative counts while serving", async () => {
    const server = await start("env", undefined, { OTEL_EXPORTER_OTLP_ENDPOINT: `${collector.origin}/base/`, OTEL_METRIC_EXPORT_INTERVAL: "1000", OTEL_SERVICE_NAME: "edge-auth" });
    const sent = await sendMix(server.url);
    const requests = Object.values(sent).reduce((a, b) => a + b, 0);
    // Periodic exports go on while the server runs; one of them carries all requests sent
    const request = await collector.next((r) => r.path === "/base/v1/metrics" && r.body !== null && total(r.body, () => true) === requests);
    expect(otlpAttributes(request.body!.resourceMetrics[0].resource!)["service.name"]).toBe("edge-auth");
    const points = otlpMetric(request.body!, "gatehouse_decisions_total")!.sum!.dataPoints;
    // Cumulative: every point starts when the server started, not at the previous export
    expect(new Set(points.map((p) => String(p.startTimeUnixNano))).size).toBe(1);
    await server.close();
  });

  it("counts break-glass decisions by route and decision, as the Prometheus counter does", async () => {
    const glass = await createTestKey("ES256");
    const GLASS = "https://break-glass.example";
    const glassIssuer = { issuer: GLASS, name: "break-glass", audience: EXAMPLE_AUDIENCE, algorithms: ["ES256"], jwks: { keys: [glass.publicJwk] }, maxAgeSeconds: 300 };
    const everydayIssuer = { issuer: EXAMPLE_ISSUER, name: "example", audience: EXAMPLE_AUDIENCE, algorithms: ["ES256"], jwksUri: jwks.url, jwksTimeoutMs: 500 };
    const server = await start("glass", { otlp: { endpoint: `${collector.origin}/v1/metrics`, intervalMs: 3_600_000 } }, { GATEHOUSE_BREAK_GLASS_POLICIES: join(work, "break-glass.mjs") }, {
      token: { issuers: [everydayIssuer, glassIssuer] }, breakGlass: { issuer: "break-glass", maxLifetimeSeconds: 300 },
    });
    const token = (amr: string[]) => mintToken(glass, { tenant: "acme", groups: ["viewer"], scope: "orders:read", amr }, { issuer: GLASS, audience: EXAMPLE_AUDIENCE, subject: "oncall-olga" });
    expect((await ask(server.url, "DELETE", "/tenants/acme/orders/o-17", { authorization: `Bearer ${await token(["pwd", "mfa"])}` })).status).toBe(200);
    expect((await ask(server.url, "DELETE", "/tenants/acme/orders/o-17", { authorization: `Bearer ${await token(["pwd", "mfa"])}` })).status).toBe(200);
    expect((await ask(server.url, "GET", "/tenants/acme/orders/o-17", { authorization: `Bearer ${await token(["pwd"])}` })).status).toBe(403);
    expect((await ask(server.url, "GET", "/tenants/acme/orders/o-17", { authorization: `Bearer ${await viewer()}` })).status).toBe(200);
    const exported = collector.next((r) => r.path === "/v1/metrics");
    await server.close();
    const points = otlpMetric((await exported).body!, "gatehouse_break_glass_decisions_total")!.sum!.dataPoints;
    const counts = Object.fromEntries(points.map((p) => [`${otlpAttributes(p).route} ${otlpAttributes(p).decision}`, num(p.asInt)]));
    // the everyday read is no break-glass decision
    expect(counts).toEqual({ "DELETE /tenants/:tenant/orders/:id allow": 2, "GET /tenants/:tenant/orders/:id deny": 1 });
    for (const p of points) expect(Object.keys(otlpAttributes(p)).sort()).toEqual(["decision", "route"]);
  });

  it("counts a canary rollout's requests, disagreements and rollbacks with the Prometheus counters' labels and numbers", async () => {
    const server = await start("canary", { otlp: { endpoint: `${collector.origin}/v1/metrics`, intervalMs: 3_600_000 } }, { GATEHOUSE_SHADOW_POLICIES: join(work, "candidate.mjs") }, {
      rollout: { canary: { share: 0.5 }, rollback: { maxDenyRate: 0.01, minRequests: 3 } },
    });
    for (let i = 0; i < 20; i++) {
      const token = await mintToken(key, { tenant: "acme", groups: ["viewer"], scope: "orders:read", amr: ["pwd"] }, { issuer: EXAMPLE_ISSUER, audience: EXAMPLE_AUDIENCE, subject: `user-${i}` });
      await ask(server.url, "GET", "/tenants/acme/orders/o-17", { authorization: `Bearer ${token}` });
    }
    const scraped = new Map(parsePrometheusTextFormat((await get(`${server.opsUrl}/metrics`)).body).map((f) => [f.name, f]));
    const exported = collector.next((r) => r.path === "/v1/metrics");
    await server.close();
    const body = (await exported).body!;
    const names = ["gatehouse_canary_requests_total", "gatehouse_canary_disagreements_total", "gatehouse_canary_rollbacks_total"];
    const fromOtlp = names.map((name) => Object.fromEntries((otlpMetric(body, name)?.sum?.dataPoints ?? []).map((p) => [JSON.stringify(Object.entries(otlpAttributes(p)).sort()), num(p.asInt)])));
    const fromScrape = names.map((name) => Object.fromEntries((scraped.get(name)?.metrics ?? []).map((m) => [JSON.stringify(Object.entries(m.labels!).sort()), Number(m.value)])));
    expect(fromOtlp).toEqual(fromScrape);
    // 3 canary requests fire the rule (the third is decided by the stable set); the candidate denies all 20
    expect(Object.values(fromOtlp[0]).reduce((a, b) => a + b, 0)).toBe(20);
    expect(Object.values(fromOtlp[1]).reduce((a, b) => a + b, 0)).toBe(20);
    expect(fromOtlp[2]).toEqual({ [JSON.stringify([["rule", "deny_rate"]])]: 1 });
  });

  it("costs no decision when the collector is down, and says so on stderr once per outage, naming the origin only", async () => {
    collector.setMode("down");
    const said = vi.spyOn(console, "error").mockImplementation(() => {});
    try {
      const server = await start("down", { otlp: { endpoint: `${collector.origin}/v1/metrics?key=secret-key`, intervalMs: 1000 } });
      await sendMix(server.url);
      await expect.poll(() => said.mock.calls.length, { timeout: 30_000 }).toBeGreaterThan(0);
      // further failed exports (and their retries) while the outage lasts add no line
      const seen = collector.requests.length;
      await collector.next(() => collector.requests.length >= seen + 2);
      expect((await ask(server.url, "GET", "/tenants/acme/orders")).status).toBe(401);
      const lines = said.mock.calls.map((call) => String(call[0])).filter((line) => line.includes("otlp metrics export"));
      expect(lines).toEqual([expect.stringContaining(`\`${collector.origin}\` failed`)]);
      expect(lines.join("\n")).not.toContain("secret-key");
      collector.setMode("ok");
      await server.close();
    } finally {
      said.mockRestore();
      collector.setMode("ok");
    }
  });

  it("exports nothing with `otlp: null` though the environment names an endpoint, or with metrics off", async () => {
    const before = collector.requests.length;
    const off = await start("off", { otlp: null }, { OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: `${collector.origin}/v1/metrics`, OTEL_METRIC_EXPORT_INTERVAL: "1000" });
    await sendMix(off.url);
    await off.close();
    const disabled = await start("disabled", { enabled: false }, { OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: `${collector.origin}/v1/metrics` });
    await disabled.close();
    expect(collector.requests.length).toBe(before);
  });
});

describe("forward-auth: OTLP configuration errors stop the start, naming the field", () => {
  const startError = (metrics: unknown, env: Record<string, string> = {}) => start(`bad-${Math.random().toString(36).slice(2)}`, metrics, env).then(() => null, (error: unknown) => error);

  it("`otlp: {}` without an endpoint in the section or the environment", async () => {
    const error = await startError({ otlp: {} });
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toMatch(/metrics\.otlp\.endpoint/);
  });

  it("an endpoint that is not an http(s) URL, in the section or the environment", async () => {
    expect(String(await startError({ otlp: { endpoint: "collector:4318" } }))).toMatch(/metrics\.otlp\.endpoint/);
    expect(String(await startError(undefined, { OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: "ftp://collector/v1/metrics" }))).toMatch(/OTEL_EXPORTER_OTLP_METRICS_ENDPOINT/);
  });

  it("the gRPC protocol, which the export does not speak", async () => {
    expect(String(await startError(undefined, { OTEL_EXPORTER_OTLP_ENDPOINT: collector.origin, OTEL_EXPORTER_OTLP_PROTOCOL: "grpc" }))).toMatch(/OTEL_EXPORTER_OTLP_PROTOCOL.*grpc/);
  });

  it("an interval or timeout out of bounds, or a timeout longer than the interval", async () => {
    expect(String(await startError({ otlp: { endpoint: collector.origin, intervalMs: 10 } }))).toMatch(/metrics\.otlp\.intervalMs/);
    expect(String(await startError({ otlp: { endpoint: collector.origin, intervalMs: 1000, timeoutMs: 5000 } }))).toMatch(/metrics\.otlp\.timeoutMs/);
    expect(String(await startError(undefined, { OTEL_EXPORTER_OTLP_ENDPOINT: collector.origin, OTEL_METRIC_EXPORT_INTERVAL: "soon" }))).toMatch(/OTEL_METRIC_EXPORT_INTERVAL/);
  });

  it("a header value is never echoed in the message", async () => {
    const error = String(await startError({ otlp: { endpoint: collector.origin, headers: { authorization: "secret-value\n" } } }));
    expect(error).toMatch(/metrics\.otlp\.headers\.authorization/);
    expect(error).not.toContain("secret-value");
  });
});
