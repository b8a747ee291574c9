// API Gateway's authorizer result cache, emulated around the real handler and pipeline: a cached
// answer never allows what the authorizer would deny, and a change reaches clients within the TTL.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createLambdaHandler, type HttpApiCacheCheck } from "../../../functions/lambda/index.ts";
import { ConfigError } from "../../../shared/errors.ts";
import type { RoutesFile } from "../../../shared/routes/index.ts";
import { createAuthorizer } from "../../../shared/pipeline/index.ts";
import { formatReplay, lambdaCacheDemo, replayAuthorizerCache, type AuthorizerKind, type ReplayStep } from "../../../tools/lambda-cache/index.ts";
import { createTestPipeline, examplePolicies, exampleRoutes } from "../../harness/gatehouse-pipeline.ts";
import { loadEvent, retarget, type EventName } from "./events.ts";

const fixture: Record<AuthorizerKind, EventName> = { rest_token: "rest-token", rest_request: "rest-request", http_simple: "http-v2" };
const routeBound: Record<AuthorizerKind, string[] | undefined> = {
  rest_token: undefined,
  rest_request: ["method.request.header.Authorization", "context.httpMethod", "context.path"],
  http_simple: ["$request.header.Authorization", "$context.httpMethod", "$context.path"],
};
const tokenOnly: Record<AuthorizerKind, string[] | undefined> = {
  rest_token: undefined,
  rest_request: ["method.request.header.Authorization"],
  http_simple: ["$request.header.Authorization"],
};

async function setup(httpApiCache: HttpApiCacheCheck = "require_route") {
  const pipeline = await createTestPipeline();
  const handler = createLambdaHandler(pipeline.authorize, { flush: () => pipeline.authorize.flush(), httpApiCache, warn: () => {} });
  return { ...pipeline, handler };
}
const step = (kind: AuthorizerKind, token: string, method: string, path: string, atMs: number, extra: Partial<ReplayStep> = {}): ReplayStep => ({
  atMs, event: retarget(loadEvent(fixture[kind], token), method, path), ...extra,
});

describe("REST authorizers: the policy names exactly one methodArn", () => {
  for (const kind of ["rest_token", "rest_request"] as const) {
    it(`${kind}: keyed by the token alone, a cached Allow never reaches another route (it denies it instead)`, async () => {
      const { handler, mint, clock } = await setup();
      const token = await mint();
      const report = await replayAuthorizerCache(handler, [
        step(kind, token, "GET", "/tenants/acme/orders/o-17", 0),
        step(kind, token, "DELETE", "/tenants/acme/orders/o-17", 1000),
        step(kind, token, "GET", "/tenants/acme/orders", 2000),
        step(kind, token, "GET", "/tenants/acme/orders/o-17", 3000),
      ], { kind, ttlSeconds: 300, identitySources: tokenOnly[kind], clock });
      expect(report.results.map((r) => [r.cached, r.effective, r.uncached])).toEqual([
        [false, "allow", "allow"],
        [true, "deny", "deny"],
        [true, "deny", "allow"],
        [true, "allow", "allow"],
      ]);
      expect(report).toMatchObject({ leaks: 0, staleAllows: 0, falseDenies: 1, cacheHits: 3 });
    });
  }
  it("rest_request: with method and path in the identity sources, every route is decided on its own", async () => {
    const { handler, mint, clock } = await setup();
    const token = await mint();
    const report = await replayAuthorizerCache(handler, [
      step("rest_request", token, "GET", "/tenants/acme/orders/o-17", 0),
      step("rest_request", token, "DELETE", "/tenants/acme/orders/o-17", 1000),
      step("rest_request", token, "GET", "/tenants/acme/orders", 2000),
      step("rest_request", token, "GET", "/tenants/acme/orders/o-17", 3000),
    ], { kind: "rest_request", ttlSeconds: 300, identitySources: routeBound.rest_request, clock });
    expect(report.results.map((r) => [r.cached, r.effective])).toEqual([[false, "allow"], [false, "deny"], [false, "allow"], [true, "allow"]]);
    expect(report).toMatchObject({ leaks: 0, falseDenies: 0 });
  });
});

describe("HTTP API simple responses name no route", () => {
  it("keyed by the token alone and unchecked, a cached allow leaks to other routes (why the check exists)", async () => {
    const { handler, mint, clock } = await setup("off");
    const token = await mint();
    const report = await replayAuthorizerCache(handler, [
      step("http_simple", token, "GET", "/tenants/acme/orders/o-17", 0),
      step("http_simple", token, "DELETE", "/tenants/acme/orders/o-17", 1000),
      step("http_simple", token, "GET", "/admin/audit", 2000),
    ], { kind: "http_simple", ttlSeconds: 300, identitySources: tokenOnly.http_simple, clock });
    expect(report.results.map((r) => r.effective)).toEqual(["allow", "allow", "allow"]);
    expect(report.leaks).toBe(2);
  });
  it("keyed by the token alone, the default check denies rather than leak", async () => {
    const { handler, mint, clock } = await setup();
    const token = await mint();
    const report = await replayAuthorizerCache(handler, [
      step("http_simple", token, "GET", "/tenants/acme/orders/o-17", 0),
      step("http_simple", token, "DELETE", "/tenants/acme/orders/o-17", 1000),
    ], { kind: "http_simple", ttlSeconds: 300, identitySources: tokenOnly.http_simple, clock });
    expect(report.results.map((r) => r.effective)).toEqual(["deny", "deny"]);
    expect(report.leaks).toBe(0);
  });
  it("with method and path in the identity sources, each route is decided on its own", async () => {
    const { handler, mint, clock } = await setup();
    const token = await mint();
    const report = await replayAuthorizerCache(handler, [
      step("http_simple", token, "GET", "/tenants/acme/orders/o-17", 0),
      step("http_simple", token, "DELETE", "/tenants/acme/orders/o-17", 1000),
      step("http_simple", token, "GET", "/tenants/acme/orders/o-17", 2000),
    ], { kind: "http_simple", ttlSeconds: 300, identitySources: routeBound.http_simple, clock });
    expect(report.results.map((r) => [r.cached, r.effective])).toEqual([[false, "allow"], [false, "deny"], [true, "allow"]]);
    expect(report.leaks).toBe(0);
  });
});

describe("how long a change takes to reach clients", () => {
  it.each(["rest_request", "http_simple"] as const)("%s: a revocation is enforced once the cached entry expires (TTL 60 s)", async (kind) => {
    const { handler, mint, clock, revokeSubject } = await setup();
    const token = await mint();
    const report = await replayAuthorizerCache(handler, [
      step(kind, token, "GET", "/tenants/acme/orders/o-17", 0),
      step(kind, token, "GET", "/tenants/acme/orders/o-17", 10_000, { before: () => revokeSubject("vera"), label: "revoked at 10 s" }),
      step(kind, token, "GET", "/tenants/acme/orders/o-17", 59_999),
      step(kind, token, "GET", "/tenants/acme/orders/o-17", 60_000),
    ], { kind, ttlSeconds: 60, identitySources: routeBound[kind], clock });
    const denied = kind === "http_simple" ? "deny" : "unauthorized";
    expect(report.results.map((r) => [r.cached, r.effective, r.uncached])).toEqual([
      [false, "allow", "allow"],
      [true, "allow", denied],
      [true, "allow", denied],
      [false, denied, denied],
    ]);
    expect(report).toMatchObject({ staleAllows: 2, leaks: 0 });
    expect(formatReplay(report)).toContain("stale: change not seen yet");
  });
  it("a route or policy change (a new deployment) reaches clients only after the TTL: the cache outlives the function", async () => {
    const { handler: before, config, mint, clock, store, audit } = await setup();
    const routes = (exampleRoutes() as RoutesFile).routes.filter((r) => r.path !== "/tenants/:tenant/orders/:id");
    const changed = createAuthorizer({ ...config, routes: { routes } }, { policies: await examplePolicies(), revocationStore: store, auditSink: audit, clock });
    const after = createLambdaHandler(changed, { flush: () => changed.flush() });
    let current = before;
    const deployed = (event: unknown) => current(event);
    const token = await mint();
    const report = await replayAuthorizerCache(deployed, [
      step("rest_request", token, "GET", "/tenants/acme/orders/o-17", 0),
      step("rest_request", token, "GET", "/tenants/acme/orders/o-17", 5_000, { before: () => { current = after; }, label: "route removed at 5 s" }),
      step("rest_request", token, "GET", "/tenants/acme/orders/o-17", 30_000),
    ], { kind: "rest_request", ttlSeconds: 30, identitySources: routeBound.rest_request, clock });
    expect(report.results.map((r) => [r.cached, r.effective, r.uncached])).toEqual([
      [false, "allow", "allow"],
      [true, "allow", "deny"],
      [false, "deny", "deny"],
    ]);
    expect(report.staleAllows).toBe(1);
  });
  it("with TTL 0 nothing is cached", async () => {
    const { handler, mint, clock } = await setup();
    const token = await mint();
    const report = await replayAuthorizerCache(handler, [step("rest_token", token, "GET", "/tenants/acme/orders", 0), step("rest_token", token, "GET", "/tenants/acme/orders", 1)], { kind: "rest_token", ttlSeconds: 0, clock });
    expect(report).toMatchObject({ cacheHits: 0, invocations: 2 });
  });
});

describe("security", () => {
  const requests = [
    ["GET", "/tenants/acme/orders"], ["POST", "/tenants/acme/orders"], ["GET", "/tenants/acme/orders/o-17"], ["PUT", "/tenants/acme/orders/o-17"],
    ["DELETE", "/tenants/acme/orders/o-17"], ["GET", "/tenants/globex/orders/o-1"], ["GET", "/admin/audit"], ["GET", "/health"],
    ["GET", "/tenants/acme/orders/../../admin/audit"],
  ] as const;
  const people = [
    { sub: "vera", groups: ["viewer"], scope: "orders:read" },
    { sub: "eddie", groups: ["editor"], scope: "orders:read orders:write" },
    { sub: "ada", groups: ["admin"], scope: "orders:read orders:write audit:read", amr: ["pwd", "mfa"] },
  ];
  for (const kind of ["rest_token", "rest_request", "http_simple"] as const) {
    for (const [name, sources] of [["route-bound", routeBound[kind]], ["token-only", tokenOnly[kind]]] as const) {
      if (kind === "rest_token" && name === "token-only") continue;
      it(`${kind}, ${name} identity sources: no sequence of requests makes a cached answer allow what the authorizer denies`, async () => {
        const { handler, mint, clock } = await setup();
        const tokens = await Promise.all(people.map((p) => mint(p)));
        await fc.assert(fc.asyncProperty(
          fc.array(fc.tuple(fc.nat(requests.length - 1), fc.nat(tokens.length - 1), fc.nat(20_000)), { minLength: 2, maxLength: 12 }),
          async (plan) => {
            let at = 0;
            const steps = plan.map(([r, t, gap]) => step(kind, tokens[t], requests[r][0], requests[r][1], (at += gap)));
            clock.set(Date.UTC(2026, 10, 22, 10, 0, 0));
            const report = await replayAuthorizerCache(handler, steps, { kind, ttlSeconds: 300, identitySources: sources, clock });
            expect(report.leaks).toBe(0);
            expect(report.staleAllows).toBe(0);
          },
        ), { numRuns: 25 });
      });
    }
  }
  it("refuses a TTL outside API Gateway's bounds", async () => {
    const { handler, clock } = await setup();
    await expect(replayAuthorizerCache(handler, [], { kind: "rest_token", ttlSeconds: 3601, clock })).rejects.toThrow(ConfigError);
  });
  it("answers 401 without invoking when an identity source is missing", async () => {
    const { handler, clock } = await setup();
    const event = loadEvent("http-v2");
    delete event.headers.authorization;
    const report = await replayAuthorizerCache(handler, [{ atMs: 0, event }], { kind: "http_simple", identitySources: routeBound.http_simple, clock });
    expect(report).toMatchObject({ invocations: 0, results: [{ effective: "unauthorized" }] });
  });
});

describe("the demo scenario (gatehouse dev --lambda)", () => {
  it.each(["rest_token", "rest_request", "http_simple"] as const)("%s: allow, deny, hit, stale until the TTL, then denied", async (kind) => {
    const { handler, mint, clock, revokeSubject } = await setup();
    const report = await lambdaCacheDemo(handler, {
      kind, ttlSeconds: 60, clock, token: await mint(), allowedPath: "/tenants/acme/orders/o-17", deniedPath: "/tenants/acme/orders/o-17", revoke: () => revokeSubject("vera"),
    });
    const denied = kind === "http_simple" ? "deny" : "unauthorized";
    expect(report.results.map((r) => r.effective)).toEqual(["allow", "deny", "allow", "allow", "allow", denied]);
    expect(report.results.map((r) => r.cached)).toEqual([false, kind === "rest_token", true, true, true, false]);
    expect(report.leaks).toBe(0);
    expect(report.staleAllows).toBe(2);
  });
});
