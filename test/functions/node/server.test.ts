import { request as httpRequest } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { createForwardAuthApp, startForwardAuthServer, type ForwardAuthOptions, type ForwardAuthServer } from "../../../functions/node/index.ts";
import { ConfigError } from "../../../shared/errors.ts";
import type { RefusalReason, RefusedRequest } from "../../../shared/pipeline/refuse.ts";
import type { AuthorizeInput, Decision, DecisionStatus } from "../../../shared/pipeline/types.ts";

// A stand-in for the pipeline that records what it was asked and decides by path, so these tests pin
// the adapter: which request each proxy convention names, and how each decision is answered.
// The real pipeline runs in forward-auth.e2e.test.ts.
function scripted() {
  const seen: AuthorizeInput[] = [];
  const authorize = async (input: AuthorizeInput): Promise<Decision> => {
    seen.push(input);
    const base = { decisionId: "6d1f5b8e-0000-4000-8000-000000000001" };
    if (input.headers.get("authorization") !== "Bearer good") {
      return { ...base, allow: false, status: 401, reason: "missing_token", wwwAuthenticate: 'Bearer realm="gatehouse"' };
    }
    if (input.path.startsWith("/admin")) return { ...base, allow: false, status: 403, reason: "policy_denied" };
    if (input.path.startsWith("/down")) return { ...base, allow: false, status: 503, reason: "revocation_unavailable" };
    return { ...base, allow: true, status: 200, reason: "allowed", identityHeaders: { "x-gatehouse-principal": "vera", "x-gatehouse-tenant": "acme", "x-gatehouse-decision-id": base.decisionId } };
  };
  return Object.assign(authorize, { seen, refused, refuse });
}

// The Authorizer's `refuse`, recorded: a refusal is a decision the adapter made before the pipeline
const refused: string[] = [];
function refuse(_request: RefusedRequest, reason: RefusalReason, status: DecisionStatus = 403): Decision {
  refused.push(reason);
  return { allow: false, status, reason, decisionId: "6d1f5b8e-0000-4000-8000-00000000000r" };
}

interface Sent { status: number; headers: Record<string, string | string[] | undefined>; body: string }

// node:http sends the request-target exactly as given (fetch would resolve `..` first)
function send(server: ForwardAuthServer, method: string, target: string, headers: Record<string, string>): Promise<Sent> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${server.url}${target}`, { method, headers, path: target }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk) => (body += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

let servers: ForwardAuthServer[] = [];
afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
});
async function start(options: ForwardAuthOptions, authorize = scripted()) {
  const server = await startForwardAuthServer(authorize, { ...options, port: 0 });
  servers.push(server);
  return { server, authorize };
}

describe("nginx auth_request", () => {
  it("decides on X-Original-Method and X-Original-URI and answers 200 with identity headers", async () => {
    const { server, authorize } = await start({ proxy: "nginx" });
    const res = await send(server, "GET", "/auth", { "x-original-method": "DELETE", "x-original-uri": "/tenants/acme/orders/o-17?force=1", authorization: "Bearer good" });
    expect(res.status).toBe(200);
    expect(res.headers["x-gatehouse-principal"]).toBe("vera");
    expect(res.headers["x-gatehouse-tenant"]).toBe("acme");
    expect(authorize.seen[0]).toMatchObject({ platform: "node", method: "DELETE", path: "/tenants/acme/orders/o-17", query: "force=1", clientIp: "127.0.0.1" });
  });
  it("answers 401 with WWW-Authenticate when the token is missing", async () => {
    const { server } = await start({ proxy: "nginx" });
    const res = await send(server, "GET", "/auth", { "x-original-method": "GET", "x-original-uri": "/tenants/acme/orders" });
    expect(res.status).toBe(401);
    expect(res.headers["www-authenticate"]).toBe('Bearer realm="gatehouse"');
    expect(res.headers["content-type"]).toBe("application/problem+json");
    expect(JSON.parse(res.body)).toMatchObject({ status: 401, decision_id: "6d1f5b8e-0000-4000-8000-000000000001" });
  });
  it("answers 403 for a policy denial", async () => {
    const { server } = await start({ proxy: "nginx" });
    const res = await send(server, "GET", "/auth", { "x-original-method": "GET", "x-original-uri": "/admin/audit", authorization: "Bearer good" });
    expect(res.status).toBe(403);
    expect(res.headers["x-gatehouse-principal"]).toBeUndefined();
    expect(JSON.parse(res.body)).toMatchObject({ title: "Forbidden", status: 403 });
  });
  it("answers 503 when a dependency is down", async () => {
    const { server } = await start({ proxy: "nginx" });
    expect((await send(server, "GET", "/auth", { "x-original-method": "GET", "x-original-uri": "/down", authorization: "Bearer good" })).status).toBe(503);
  });
});

describe("Traefik forwardAuth", () => {
  it("decides on X-Forwarded-Method and X-Forwarded-Uri", async () => {
    const { server, authorize } = await start({ proxy: "traefik" });
    const res = await send(server, "GET", "/", {
      "x-forwarded-method": "PUT", "x-forwarded-uri": "/tenants/acme/orders/o-17", "x-forwarded-host": "api.example.com", "x-forwarded-proto": "https", authorization: "Bearer good",
    });
    expect(res.status).toBe(200);
    expect(authorize.seen[0]).toMatchObject({ method: "PUT", path: "/tenants/acme/orders/o-17", query: "" });
    expect(authorize.seen[0].headers.get("x-forwarded-host")).toBe("api.example.com");
  });
});

describe("Envoy ext_authz HTTP", () => {
  it("decides on the check request's own method and path, behind the prefix", async () => {
    const { server, authorize } = await start({ proxy: "envoy", pathPrefix: "/check" });
    const res = await send(server, "POST", "/check/tenants/acme/orders?dry=1", { authorization: "Bearer good" });
    expect(res.status).toBe(200);
    expect(res.headers["x-gatehouse-decision-id"]).toBe("6d1f5b8e-0000-4000-8000-000000000001");
    expect(authorize.seen[0]).toMatchObject({ method: "POST", path: "/tenants/acme/orders", query: "dry=1" });
  });
  it("works without a prefix", async () => {
    const { server, authorize } = await start({ proxy: "envoy" });
    expect((await send(server, "GET", "/tenants/acme/orders", { authorization: "Bearer good" })).status).toBe(200);
    expect(authorize.seen[0].path).toBe("/tenants/acme/orders");
  });
  it("refuses a path outside the prefix without deciding", async () => {
    const { server, authorize } = await start({ proxy: "envoy", pathPrefix: "/check" });
    expect((await send(server, "GET", "/checkout/tenants/acme/orders", { authorization: "Bearer good" })).status).toBe(403);
    expect(authorize.seen).toHaveLength(0);
  });
});

describe("client address", () => {
  const headers = { "x-original-method": "GET", "x-original-uri": "/tenants/acme/orders", authorization: "Bearer good", "x-forwarded-for": "198.51.100.1, 203.0.113.9", "x-real-ip": "192.0.2.4" };
  it("is the socket peer by default, whatever the headers say", async () => {
    const { server, authorize } = await start({ proxy: "nginx" });
    await send(server, "GET", "/auth", headers);
    expect(authorize.seen[0].clientIp).toBe("127.0.0.1");
  });
  it("is the right-most X-Forwarded-For entry when that header is trusted", async () => {
    const { server, authorize } = await start({ proxy: "nginx", clientIp: "x-forwarded-for" });
    await send(server, "GET", "/auth", headers);
    expect(authorize.seen[0].clientIp).toBe("203.0.113.9");
  });
  it("is X-Real-IP when that header is trusted", async () => {
    const { server, authorize } = await start({ proxy: "nginx", clientIp: "x-real-ip" });
    await send(server, "GET", "/auth", headers);
    expect(authorize.seen[0].clientIp).toBe("192.0.2.4");
  });
});

describe("configuration", () => {
  it.each([
    ["forwardAuth.proxy", { proxy: "haproxy" }],
    ["forwardAuth.proxy", {}],
    ["forwardAuth.pathPrefix", { proxy: "envoy", pathPrefix: "check" }],
    ["forwardAuth.pathPrefix", { proxy: "envoy", pathPrefix: "/check/" }],
    ["forwardAuth.pathPrefix", { proxy: "nginx", pathPrefix: "/check" }],
    ["forwardAuth.clientIp", { proxy: "nginx", clientIp: "forwarded" }],
  ])("refuses a bad %s", (field, options) => {
    expect(() => createForwardAuthApp(scripted(), options as ForwardAuthOptions)).toThrow(ConfigError);
    try {
      createForwardAuthApp(scripted(), options as ForwardAuthOptions);
    } catch (error) {
      expect((error as ConfigError).field).toBe(field);
      expect((error as Error).message).toMatch(/^forwardAuth\.\w+: expected /);
    }
  });
  it("leaves the caller's options object alone", () => {
    const options = Object.freeze({ proxy: "envoy" as const });
    createForwardAuthApp(scripted(), options);
    expect(options).toEqual({ proxy: "envoy" });
  });
});

describe("security", () => {
  it("nginx mode ignores Traefik's headers sent by a client", async () => {
    const { server, authorize } = await start({ proxy: "nginx" });
    const res = await send(server, "GET", "/auth", { "x-original-method": "GET", "x-original-uri": "/admin/audit", "x-forwarded-method": "GET", "x-forwarded-uri": "/tenants/acme/orders", authorization: "Bearer good" });
    expect(res.status).toBe(403);
    expect(authorize.seen[0].path).toBe("/admin/audit");
  });
  it("Traefik mode ignores nginx's headers sent by a client", async () => {
    const { server, authorize } = await start({ proxy: "traefik" });
    const res = await send(server, "GET", "/", { "x-forwarded-method": "GET", "x-forwarded-uri": "/admin/audit", "x-original-method": "GET", "x-original-uri": "/tenants/acme/orders", authorization: "Bearer good" });
    expect(res.status).toBe(403);
    expect(authorize.seen[0].path).toBe("/admin/audit");
  });
  it.each([
    ["nginx", {}],
    ["nginx", { "x-original-method": "GET" }],
    ["nginx", { "x-original-method": "GET", "x-original-uri": "tenants/acme/orders" }],
    ["traefik", { "x-forwarded-uri": "/tenants/acme/orders" }],
  ] as const)("refuses a %s auth request that does not name the original request, without deciding", async (proxy, headers) => {
    const { server, authorize } = await start({ proxy });
    refused.length = 0;
    const res = await send(server, "GET", "/", { ...headers, authorization: "Bearer good" });
    expect(res.status).toBe(403);
    expect(authorize.seen).toHaveLength(0);
    expect(refused).toEqual(["proxy_misconfigured"]);
    expect(res.headers["x-gatehouse-decision-id"]).toBe("6d1f5b8e-0000-4000-8000-00000000000r");
  });
  it("hands Envoy's path to the pipeline unnormalised, dot segments and encoding intact", async () => {
    const { server, authorize } = await start({ proxy: "envoy", pathPrefix: "/check" });
    await send(server, "GET", "/check/tenants/a/orders/../../admin/audit", { authorization: "Bearer good" });
    await send(server, "GET", "/check/tenants/a/orders/%2e%2e%2Fadmin", { authorization: "Bearer good" });
    expect(authorize.seen.map((i) => i.path)).toEqual(["/tenants/a/orders/../../admin/audit", "/tenants/a/orders/%2e%2e%2Fadmin"]);
  });
  it("fails closed with 503 when the pipeline throws", async () => {
    const { server } = await start({ proxy: "envoy" }, Object.assign(async () => { throw new Error("boom"); }, { seen: [], refused, refuse }));
    expect((await send(server, "GET", "/tenants/acme/orders", { authorization: "Bearer good" })).status).toBe(503);
  });
  it("listens on loopback unless told otherwise", async () => {
    const { server } = await start({ proxy: "envoy" });
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });
});
