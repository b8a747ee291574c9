// The built Worker bundle in Miniflare writes one Analytics Engine data point per decision
// through its `GATEHOUSE_METRICS` binding. Miniflare's own Analytics Engine simulator discards what it
// is given (its `writeDataPoint` is empty), so the capturing test binds a wrapped binding with the same
// interface that prints each data point; a second Worker runs on Miniflare's real binding.
import type { Readable } from "node:stream";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Miniflare, type MiniflareOptions } from "miniflare";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ANALYTICS_ENGINE_COLUMNS } from "../../../shared/metrics/index.ts";
import { createTestKey, mintToken, repoRoot, type TestKey } from "../../harness/index.ts";
import { workerBundle } from "../../harness/gatehouse-worker.ts";

const ISSUER = "https://dev.gatehouse.local";
const AUDIENCE = "gatehouse-demo";
const viewer = { sub: "vera", tenant: "acme", groups: ["viewer"], scope: "orders:read", amr: ["pwd"] };
const TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";

// Prints each data point on workerd's stdout, where the test reads it
const CAPTURE = `
export default function () {
  return { writeDataPoint(point) { console.log("ae-point " + JSON.stringify(point)); } };
}`;

let key: TestKey;
let bundlePath: string;
const running: Miniflare[] = [];

beforeAll(async () => {
  key = await createTestKey("ES256");
  bundlePath = await workerBundle();
}, 180_000);
afterAll(async () => {
  await Promise.all(running.map((mf) => mf.dispose()));
});

const config = () => ({
  token: { issuers: [{ issuer: ISSUER, audience: AUDIENCE, algorithms: ["ES256"], jwks: { keys: [key.publicJwk] } }] },
  revocation: { store: { kind: "kv" }, ttlMs: 1000 },
});

async function start(binding: "capture" | "miniflare", extraBindings: Record<string, string> = {}, configOverride?: Record<string, unknown>) {
  let out = "";
  const gatehouse = {
    name: "gatehouse",
    modules: true,
    scriptPath: bundlePath,
    compatibilityDate: "2025-09-01",
    bindings: { GATEHOUSE_CONFIG: JSON.stringify(configOverride ?? config()), ...extraBindings },
    kvNamespaces: { REVOCATIONS: "revocations" },
    serviceBindings: { ORIGIN: async () => new Response("ok") },
    ...(binding === "capture" ? { wrappedBindings: { GATEHOUSE_METRICS: { scriptName: "ae-capture" } } } : { analyticsEngineDatasets: { GATEHOUSE_METRICS: { dataset: "gatehouse_decisions" } } }),
  };
  const mf = new Miniflare({
    workers: binding === "capture" ? [gatehouse, { name: "ae-capture", modules: true, script: CAPTURE }] : [gatehouse],
    handleRuntimeStdio: (stdout: Readable, stderr: Readable) => {
      stdout.setEncoding("utf8").on("data", (chunk: string) => (out += chunk));
      stderr.resume();
    },
  } as unknown as MiniflareOptions);
  await mf.ready;
  running.push(mf);
  const points = () => out.split("\n").filter((l) => l.startsWith("ae-point ")).map((l) => JSON.parse(l.slice(9)) as { blobs: (string | null)[]; doubles: number[]; indexes: string[] });
  return {
    fetch: async (method: string, path: string, claims?: Record<string, unknown>, headers: Record<string, string> = {}) => {
      if (claims) headers.authorization = `Bearer ${await mintToken(key, claims, { issuer: ISSUER, audience: AUDIENCE })}`;
      return mf.dispatchFetch(new URL(path, "http://gatehouse.test").toString(), { method, headers }) as unknown as Promise<Response>;
    },
    points: async (count: number) => {
      for (let waited = 0; points().length < count && waited < 5000; waited += 20) await new Promise((r) => setTimeout(r, 20));
      return points();
    },
    auditLines: () => out.split("\n").filter((l) => l.startsWith("{") && l.includes('"decision_id"')),
  };
}

describe("Worker: Analytics Engine data points and readiness", () => {
  it("writes one data point per decision, with the decision, reason and trace id, and no principal or path", async () => {
    const w = await start("capture");
    const sent = { allow: 0, deny: 0 };
    for (let i = 0; i < 3; i++) {
      expect((await w.fetch("GET", "/tenants/acme/orders/o-17", viewer, { traceparent: `00-${TRACE}-00f067aa0ba902b7-01` })).status).toBe(200);
      sent.allow++;
    }
    for (let i = 0; i < 2; i++) {
      expect((await w.fetch("DELETE", "/tenants/acme/orders/o-17", viewer)).status).toBe(403);
      sent.deny++;
    }
    expect((await w.fetch("GET", "/tenants/acme/orders/o-17")).status).toBe(401);
    sent.deny++;
    const points = await w.points(6);
    expect(points).toHaveLength(6);
    const [route, decision, reason, platform, , trace] = ANALYTICS_ENGINE_COLUMNS.blobs.map((_, i) => i);
    expect(points.filter((p) => p.blobs[decision] === "allow")).toHaveLength(sent.allow);
    expect(points.filter((p) => p.blobs[decision] === "deny")).toHaveLength(sent.deny);
    expect(points.filter((p) => p.blobs[reason] === "policy_denied")).toHaveLength(2);
    expect(points.filter((p) => p.blobs[reason] === "missing_token")).toHaveLength(1);
    for (const p of points) {
      expect(p.blobs).toHaveLength(ANALYTICS_ENGINE_COLUMNS.blobs.length);
      expect(p.doubles).toHaveLength(ANALYTICS_ENGINE_COLUMNS.doubles.length);
      expect(p.blobs[platform]).toBe("worker");
      expect(p.indexes).toEqual([p.blobs[route]]);
      expect(p.doubles[0]).toBeGreaterThanOrEqual(0);
      expect(JSON.stringify(p)).not.toMatch(/vera|acme|o-17/);
    }
    // the revocation answer's age in ms (-1: no check ran, as for the request without a token), never
    // older than the KV cache's ttlMs (1000); no audit line was lost
    const age = ANALYTICS_ENGINE_COLUMNS.doubles.indexOf("revocation_age_ms");
    const dropped = ANALYTICS_ENGINE_COLUMNS.doubles.indexOf("audit_dropped");
    expect(points.filter((p) => p.blobs[reason] === "missing_token").map((p) => p.doubles[age])).toEqual([-1]);
    const checked = points.filter((p) => p.blobs[reason] !== "missing_token").map((p) => p.doubles[age]);
    expect(checked).toHaveLength(5);
    for (const ms of checked) expect(ms >= 0 && ms <= 1000, String(ms)).toBe(true);
    expect(checked[0]).toBe(0);
    expect(points.map((p) => p.doubles[dropped])).toEqual([0, 0, 0, 0, 0, 0]);
    // the W3C trace id joins the data point with its audit line
    const traced = points.filter((p) => p.blobs[trace] === TRACE);
    expect(traced).toHaveLength(3);
    expect(w.auditLines().filter((l) => (JSON.parse(l) as { trace_id: string }).trace_id === TRACE)).toHaveLength(3);
  });

  it("runs on Miniflare's own Analytics Engine binding without changing a decision", async () => {
    const w = await start("miniflare");
    expect((await w.fetch("GET", "/tenants/acme/orders/o-17", viewer)).status).toBe(200);
    expect((await w.fetch("DELETE", "/tenants/acme/orders/o-17", viewer)).status).toBe(403);
  });

  it("answers readiness on GATEHOUSE_READINESS_PATH only: 200 with usable keys, 503 naming the key set without", async () => {
    const ready = await start("miniflare", { GATEHOUSE_READINESS_PATH: "/__gatehouse/ready" });
    const answer = await ready.fetch("GET", "/__gatehouse/ready");
    expect(answer.status).toBe(200);
    expect(await answer.json()).toEqual({ ready: true, checks: { [`jwks:${ISSUER}`]: "ok", revocation: "ok" } });
    // without the variable the path is an ordinary request: authorized (no token: 401), not answered
    const plain = await start("miniflare");
    expect((await plain.fetch("GET", "/__gatehouse/ready")).status).toBe(401);
    const deadKeys = { ...config(), token: { issuers: [{ issuer: ISSUER, audience: AUDIENCE, algorithms: ["ES256"], jwksUri: "http://127.0.0.1:9/jwks.json", jwksTimeoutMs: 500 }] } };
    const notReady = await start("miniflare", { GATEHOUSE_READINESS_PATH: "/__gatehouse/ready" }, deadKeys);
    const refused = await notReady.fetch("GET", "/__gatehouse/ready");
    expect(refused.status).toBe(503);
    expect(await refused.json()).toEqual({ ready: false, checks: { [`jwks:${ISSUER}`]: "unavailable", revocation: "ok" } });
  });

  it("infra/wrangler.toml enables observability and binds the dataset", () => {
    // No TOML parser among the dependencies: the two tables are matched as wrangler's docs write them
    const toml = readFileSync(join(repoRoot, "infra", "wrangler.toml"), "utf8");
    expect(toml).toMatch(/^\[observability\]\nenabled = true$/m);
    expect(toml).toMatch(/^\[\[analytics_engine_datasets\]\]\nbinding = "GATEHOUSE_METRICS"$/m);
  });
});
