// The forward-auth server as deployed (functions/node/main.ts): configuration and the compiled policy
// module from disk, the real pipeline, real tokens, each proxy's header convention.
import { request as httpRequest } from "node:http";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFromEnv } from "../../../functions/node/main.ts";
import type { ForwardAuthServer } from "../../../functions/node/index.ts";
import { memorySink } from "../../../shared/audit/index.ts";
import { ConfigError } from "../../../shared/errors.ts";
import { compilePolicyProject } from "../../../tools/compiler/index.ts";
import { repoRoot } from "../../harness/corpus.ts";
import { EXAMPLE_AUDIENCE, EXAMPLE_ISSUER } from "../../harness/gatehouse-pipeline.ts";
import { createTestKey, mintToken, type TestKey } from "../../harness/tokens.ts";

let work: string;
let key: TestKey;
let env: Record<string, string>;
const servers: ForwardAuthServer[] = [];
const audit = memorySink();

beforeAll(async () => {
  mkdirSync(join(repoRoot, ".gatehouse"), { recursive: true });
  work = mkdtempSync(join(repoRoot, ".gatehouse", "test-forward-auth-"));
  key = await createTestKey("ES256");
  writeFileSync(join(work, "config.json"), JSON.stringify({
    token: { issuers: [{ issuer: EXAMPLE_ISSUER, audience: EXAMPLE_AUDIENCE, algorithms: ["ES256"], jwks: { keys: [key.publicJwk] } }] },
    revocation: { store: { kind: "memory" } },
  }));
  compilePolicyProject({ policiesDir: join(repoRoot, "policies"), outFile: join(work, "policies.mjs") });
  env = { GATEHOUSE_CONFIG_FILE: join(work, "config.json"), GATEHOUSE_POLICIES: join(work, "policies.mjs"), GATEHOUSE_ROUTES_FILE: join(repoRoot, "policies", "routes.json"), PORT: "0" };
}, 60_000);
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  rmSync(work, { recursive: true, force: true });
});

async function start(extra: Record<string, string>) {
  const server = await startFromEnv({ ...env, ...extra }, { auditSink: audit });
  servers.push(server);
  return server;
}
function send(server: ForwardAuthServer, method: string, target: string, headers: Record<string, string>) {
  return new Promise<{ status: number; headers: Record<string, string | string[] | undefined> }>((resolve, reject) => {
    const req = httpRequest(`${server.url}${target}`, { method, headers, path: target }, (res) => {
      res.resume();
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
    });
    req.on("error", reject);
    req.end();
  });
}
const viewer = () => mintToken(key, { tenant: "acme", groups: ["viewer"], scope: "orders:read", amr: ["pwd"] }, { issuer: EXAMPLE_ISSUER, audience: EXAMPLE_AUDIENCE, subject: "vera" });

// Each proxy's way of asking about `method path` with `headers`
const conventions = {
  nginx: (method: string, path: string) => ({ method: "GET", target: "/auth", headers: { "x-original-method": method, "x-original-uri": path } }),
  traefik: (method: string, path: string) => ({ method: "GET", target: "/", headers: { "x-forwarded-method": method, "x-forwarded-uri": path, "x-forwarded-host": "api.example.com", "x-forwarded-proto": "https" } }),
  envoy: (method: string, path: string) => ({ method, target: `/ext_authz${path}`, headers: {} }),
} as const;

for (const proxy of ["nginx", "traefik", "envoy"] as const) {
  describe(`${proxy} convention, real pipeline`, () => {
    const ask = async (method: string, path: string, headers: Record<string, string>) => {
      const server = await start({ GATEHOUSE_PROXY: proxy, ...(proxy === "envoy" ? { GATEHOUSE_PATH_PREFIX: "/ext_authz" } : {}) });
      const request = conventions[proxy](method, path);
      return send(server, request.method, request.target, { ...request.headers, ...headers });
    };
    it("answers 200 with the identity headers for an allowed request", async () => {
      const res = await ask("GET", "/tenants/acme/orders/o-17", { authorization: `Bearer ${await viewer()}` });
      expect(res.status).toBe(200);
      expect(res.headers["x-gatehouse-principal"]).toContain("vera");
      expect(res.headers["x-gatehouse-decision-id"]).toMatch(/^[0-9a-f-]{36}$/);
      expect(audit.records.find((r) => r.decision_id === res.headers["x-gatehouse-decision-id"])).toMatchObject({ platform: "node", decision: "allow", method: "GET" });
    });
    it("answers 403 for a policy denial", async () => {
      expect((await ask("DELETE", "/tenants/acme/orders/o-17", { authorization: `Bearer ${await viewer()}` })).status).toBe(403);
    });
    it("answers 401 with WWW-Authenticate without a token", async () => {
      const res = await ask("GET", "/tenants/acme/orders", {});
      expect(res.status).toBe(401);
      expect(res.headers["www-authenticate"]).toMatch(/^Bearer/);
    });
    it("answers 200 for the public health route without a token", async () => {
      expect((await ask("GET", "/health", {})).status).toBe(200);
    });
    // Regression for #21: a correctly signed token issued a year ahead was allowed by default
    it("answers 401 for a token issued a year ahead, naming issued_in_future in the audit line", async () => {
      const future = await mintToken(key, { tenant: "acme", groups: ["viewer"], scope: "orders:read", amr: ["pwd"] }, { issuer: EXAMPLE_ISSUER, audience: EXAMPLE_AUDIENCE, subject: "vera", now: Math.floor(Date.now() / 1000) + 365 * 86_400 });
      const res = await ask("GET", "/tenants/acme/orders", { authorization: `Bearer ${future}` });
      expect(res.status).toBe(401);
      expect(audit.records.find((r) => r.decision_id === res.headers["x-gatehouse-decision-id"])).toMatchObject({ decision: "deny", auth_error: "issued_in_future" });
    });
    it("never echoes an inbound x-gatehouse-principal", async () => {
      const res = await ask("GET", "/tenants/acme/orders", { authorization: `Bearer ${await viewer()}`, "x-gatehouse-principal": 'User::"ada"' });
      expect(res.headers["x-gatehouse-principal"]).not.toContain("ada");
    });
    it.each(["/tenants/acme/orders/../../admin/audit", "/tenants/acme/orders/%2e%2e/%2e%2e/admin/audit", "/tenants/acme%2Forders", "//admin/audit", "/Admin/Audit"])(
      "refuses the path trick %s",
      async (path) => {
        expect((await ask("GET", path, { authorization: `Bearer ${await viewer()}` })).status).toBe(403);
      },
    );
  });
}

describe("configuration", () => {
  it.each([
    ["GATEHOUSE_PROXY", { GATEHOUSE_PROXY: "apache" }, "forwardAuth.proxy"],
    ["GATEHOUSE_CONFIG_FILE", { GATEHOUSE_PROXY: "nginx", GATEHOUSE_CONFIG_FILE: "/nonexistent.json" }, "GATEHOUSE_CONFIG_FILE"],
    ["GATEHOUSE_POLICIES", { GATEHOUSE_PROXY: "nginx", GATEHOUSE_POLICIES: "/nonexistent.mjs" }, "GATEHOUSE_POLICIES"],
    ["PORT", { GATEHOUSE_PROXY: "nginx", PORT: "http" }, "PORT"],
  ])("refuses a bad %s at start", async (_name, extra, field) => {
    await expect(startFromEnv({ ...env, ...extra }, { auditSink: audit })).rejects.toSatisfy((error: unknown) => error instanceof ConfigError && error.field === field);
  });
});
