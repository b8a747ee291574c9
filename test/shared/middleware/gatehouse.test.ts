import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { httpBatchSink, memorySink, type AuditSink } from "../../../shared/audit/index.ts";
import { frozenClock } from "../../../shared/clock/index.ts";
import { gatehouse, type GatehouseVariables } from "../../../shared/middleware/index.ts";
import { createTestKey, mintToken } from "../../harness/index.ts";
import { AUDIENCE, ISSUER, NOW_MS, baseConfig, examplePolicies, viewer } from "../pipeline/fixtures.ts";

async function app() {
  const key = await createTestKey("ES256");
  const sink = memorySink();
  const hono = new Hono<{ Variables: GatehouseVariables }>();
  hono.use("*", gatehouse(baseConfig(key), { policies: await examplePolicies(), auditSink: sink, clock: frozenClock(NOW_MS) }));
  hono.all("*", (c) => c.json({ principal: c.req.header("x-gatehouse-principal") ?? null, tenant: c.req.header("x-gatehouse-tenant") ?? null, decision: c.get("gatehouse").reason }));
  const token = (claims: Record<string, unknown>) => mintToken(key, claims, { issuer: ISSUER, audience: AUDIENCE, now: NOW_MS / 1000 });
  return { hono, sink, token };
}

describe("gatehouse() middleware", () => {
  it("lets an allowed request through with verified identity headers and the decision", async () => {
    const { hono, token } = await app();
    const response = await hono.request("/tenants/acme/orders", { headers: { authorization: `Bearer ${await token(viewer)}` } });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ principal: 'User::"vera"', tenant: "acme", decision: "allowed" });
  });

  it("answers a denied request with problem+json before the handler runs", async () => {
    const { hono, token, sink } = await app();
    const response = await hono.request("/tenants/globex/orders", { headers: { authorization: `Bearer ${await token(viewer)}` } });
    expect(response.status).toBe(403);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
    const body = (await response.json()) as { decision_id: string };
    expect(body.decision_id).toBe(sink.records[0].decision_id);
  });

  it("answers 401 with the Bearer challenge", async () => {
    const { hono } = await app();
    const response = await hono.request("/tenants/acme/orders");
    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate")).toBe("Bearer");
  });

  it("replaces spoofed x-gatehouse-* headers, so a handler reading them sees the verified identity", async () => {
    const { hono, token } = await app();
    const response = await hono.request("/tenants/acme/orders", { headers: { authorization: `Bearer ${await token(viewer)}`, "x-gatehouse-principal": 'User::"ada"', "x-gatehouse-tenant": "globex" } });
    expect(await response.json()).toMatchObject({ principal: 'User::"vera"', tenant: "acme" });
  });

  it("strips spoofed identity headers on public routes", async () => {
    const { hono } = await app();
    const response = await hono.request("/health", { headers: { "x-gatehouse-principal": 'User::"ada"' } });
    // Present and empty: every identity header on every allow (#21)
    expect(await response.json()).toEqual({ principal: "", tenant: "", decision: "public_route" });
  });

  it("fails closed with 503 on every request when the configuration is refused", async () => {
    const hono = new Hono();
    hono.use("*", gatehouse({ token: { issuers: [] }, routes: [], revocation: null } as never, { policies: await examplePolicies() }));
    hono.all("*", (c) => c.text("reached"));
    const response = await hono.request("/health");
    expect(response.status).toBe(503);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
  });
});

// Workers keep a request's unfinished work alive through ctx.waitUntil; a sink that writes each line
// as it comes has nothing left, and handing waitUntil a settled Promise costs the isolate per request
describe("gatehouse() middleware: the audit flush", () => {
  async function flushedBy(sink: AuditSink) {
    const key = await createTestKey("ES256");
    const hono = new Hono<{ Variables: GatehouseVariables }>();
    hono.use("*", gatehouse(baseConfig(key), { policies: await examplePolicies(), auditSink: sink, clock: frozenClock(NOW_MS) }));
    hono.all("*", (c) => c.text("ok"));
    const token = await mintToken(key, viewer, { issuer: ISSUER, audience: AUDIENCE, now: NOW_MS / 1000 });
    const kept: Promise<unknown>[] = [];
    const ctx = { waitUntil: (promise: Promise<unknown>) => void kept.push(promise), passThroughOnException: () => {}, props: {} };
    for (let i = 0; i < 2; i++) expect((await hono.request("/tenants/acme/orders", { headers: { authorization: `Bearer ${token}` } }, {}, ctx)).status).toBe(200);
    expect((await hono.request("/tenants/globex/orders", { headers: { authorization: `Bearer ${token}` } }, {}, ctx)).status).toBe(403);
    return kept;
  }

  it("asks nothing of waitUntil when the sink buffers nothing", async () => {
    const sink = memorySink();
    expect(await flushedBy(sink)).toEqual([]);
    expect(sink.records.map((line) => line.decision)).toEqual(["allow", "allow", "deny"]);
  });

  it("hands waitUntil the flush of a sink that buffers, and the lines arrive through it", async () => {
    const bodies: string[] = [];
    const sink = httpBatchSink({ url: "https://collector.test/lines", flushIntervalMs: 0, fetch: async (_url, init) => (bodies.push(String(init?.body)), new Response(null, { status: 204 })) });
    const kept = await flushedBy(sink);
    expect(kept).toHaveLength(3);
    await Promise.all(kept);
    expect(bodies.join("\n").split("\n").filter((line) => line !== "").map((line) => JSON.parse(line).decision)).toEqual(["allow", "allow", "deny"]);
  });
});
