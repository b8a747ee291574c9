import { describe, expect, it } from "vitest";
import { ConfigError } from "../../../shared/errors.ts";
import { createAuthorizer, type Decision } from "../../../shared/pipeline/index.ts";
import { compilePolicies, loadPolicyModule } from "../../../tools/compiler/index.ts";
import { createMemoryStore, createUpstashStore, revoke } from "../../../shared/revocation/index.ts";
import { createTestKey, freePort, mintToken, startJwksServer } from "../../harness/index.ts";
import { AUDIENCE, ISSUER, NOW_MS, admin, baseConfig, examplePolicies, exampleCases, input, setup, viewer } from "./fixtures.ts";

/** Runs one request and checks that it wrote exactly one audit line; returns both. */
async function decide(env: Awaited<ReturnType<typeof setup>>, ...args: Parameters<typeof input>): Promise<{ decision: Decision; line: (typeof env.sink.records)[number] }> {
  const before = env.sink.records.length;
  const decision = await env.authorize(input(...args));
  expect(env.sink.records.length).toBe(before + 1);
  const line = env.sink.records[before];
  expect(line.decision_id).toBe(decision.decisionId);
  expect(line.decision_reason).toBe(decision.reason);
  return { decision, line };
}

describe("authorize: allow", () => {
  it("allows a viewer to read their tenant's orders, with identity headers and one audit line", async () => {
    const env = await setup();
    const { decision, line } = await decide(env, "GET", "/tenants/acme/orders/o-17", await env.token(viewer));
    expect(decision).toMatchObject({ allow: true, status: 200, reason: "allowed", route: "/tenants/:tenant/orders/:id", principal: { type: "User", id: "vera", tenant: "acme" }, policies: ["viewers-read-orders"] });
    expect(decision.identityHeaders).toEqual({ "x-gatehouse-principal": 'User::"vera"', "x-gatehouse-tenant": "acme", "x-gatehouse-decision-id": decision.decisionId });
    expect(decision.context).toEqual({ decisionId: decision.decisionId, principal: 'User::"vera"', tenant: "acme", route: "GET /tenants/:tenant/orders/:id" });
    expect(line).toMatchObject({ decision: "allow", route: "GET /tenants/:tenant/orders/:id", action: 'Action::"ReadOrder"', resource: 'Order::"acme/o-17"', principal: { type: "User", id: "vera", iss: ISSUER }, reasons: ["viewers-read-orders"], auth_error: null, platform: "worker" });
    expect(line.revocation).toMatchObject({ checked: true, outcome: "not_revoked" });
  });

  it("allows a public route without a token and without policies", async () => {
    const env = await setup();
    const { decision, line } = await decide(env, "GET", "/health");
    expect(decision).toMatchObject({ allow: true, status: 200, reason: "public_route", route: "/health" });
    // Every identity header on every allow, empty when there is no principal (#21)
    expect(decision.identityHeaders).toEqual({ "x-gatehouse-principal": "", "x-gatehouse-tenant": "", "x-gatehouse-decision-id": decision.decisionId });
    expect(line.principal).toBeNull();
  });

  it("decides every example case in policies/tests like the reference", async () => {
    const env = await setup();
    for (const c of exampleCases()) {
      const [method, path] = c.request.split(" ");
      const decision = await env.authorize(input(method, path, await env.token(c.claims)));
      expect({ name: c.name, allow: decision.allow }).toEqual({ name: c.name, allow: c.expect === "allow" });
      if (c.policies !== undefined && path !== "/health") expect({ name: c.name, policies: [...(decision.policies ?? [])].sort() }).toEqual({ name: c.name, policies: [...c.policies].sort() });
    }
  });

  it("records the platform of the input in the audit line", async () => {
    const env = await setup();
    await env.authorize({ ...input("GET", "/health"), platform: "lambda" });
    expect(env.sink.records[0].platform).toBe("lambda");
  });
});

describe("authorize: policy deny", () => {
  it("denies a cross-tenant read with 403 policy_denied naming the forbid", async () => {
    const env = await setup();
    const { decision, line } = await decide(env, "GET", "/tenants/globex/orders/o-1", await env.token(viewer));
    expect(decision).toMatchObject({ allow: false, status: 403, reason: "policy_denied", policies: ["forbid-cross-tenant"] });
    expect(decision.identityHeaders).toBeUndefined();
    expect(line).toMatchObject({ decision: "deny", reasons: ["forbid-cross-tenant"] });
  });

  it("denies a delete without mfa even for an admin (amr defaults to an empty set)", async () => {
    const env = await setup();
    const { decision } = await decide(env, "DELETE", "/tenants/acme/orders/o-1", await env.token({ ...admin, amr: undefined }));
    expect(decision).toMatchObject({ status: 403, reason: "policy_denied", policies: ["delete-requires-mfa"] });
  });

  it("denies an authenticated request to an unmatched route with 403 no_route", async () => {
    const env = await setup();
    const { decision, line } = await decide(env, "GET", "/tenants/acme/invoices", await env.token(viewer));
    expect(decision).toMatchObject({ status: 403, reason: "no_route" });
    expect(line.route).toBeNull();
  });

  it("denies a method the route table does not list", async () => {
    const env = await setup();
    const { decision } = await decide(env, "PATCH", "/tenants/acme/orders/o-1", await env.token(admin));
    expect(decision).toMatchObject({ status: 403, reason: "no_route" });
  });
});

describe("authorize: authentication", () => {
  it("answers 401 missing_token with a bare Bearer challenge", async () => {
    const env = await setup();
    const { decision, line } = await decide(env, "GET", "/tenants/acme/orders");
    expect(decision).toMatchObject({ allow: false, status: 401, reason: "missing_token", wwwAuthenticate: "Bearer" });
    expect(line.auth_error).toBe("missing_token");
  });

  it("answers 401 missing_token on unmatched routes too, so anonymous callers cannot map the route table", async () => {
    const env = await setup();
    const { decision } = await decide(env, "GET", "/secret/admin/panel");
    expect(decision).toMatchObject({ status: 401, reason: "missing_token" });
  });

  it("answers 401 expired with the generic invalid_token challenge", async () => {
    const env = await setup();
    const { decision } = await decide(env, "GET", "/tenants/acme/orders", await env.token(viewer, { now: NOW_MS / 1000 - 3600, ttlSeconds: 60 }));
    expect(decision).toMatchObject({ status: 401, reason: "expired" });
    expect(decision.wwwAuthenticate).toMatch(/error="invalid_token"/);
  });

  it("answers 401 wrong_audience", async () => {
    const env = await setup();
    const { decision } = await decide(env, "GET", "/tenants/acme/orders", await env.token(viewer, { audience: "someone-else" }));
    expect(decision).toMatchObject({ status: 401, reason: "wrong_audience" });
  });

  it("answers 401 wrong_issuer", async () => {
    const env = await setup();
    const { decision } = await decide(env, "GET", "/tenants/acme/orders", await env.token(viewer, { issuer: "https://evil.test" }));
    expect(decision).toMatchObject({ status: 401, reason: "wrong_issuer" });
  });

  it("answers 401 bad_signature for a token signed by another key with the same kid", async () => {
    const env = await setup();
    const other = await createTestKey("ES256", env.key.kid);
    const forged = await mintToken(other, viewer, { issuer: ISSUER, audience: AUDIENCE, now: NOW_MS / 1000 });
    const { decision } = await decide(env, "GET", "/tenants/acme/orders", forged);
    expect(decision).toMatchObject({ status: 401, reason: "bad_signature" });
  });

  it("answers 401 malformed for garbage", async () => {
    const env = await setup();
    const { decision } = await decide(env, "GET", "/tenants/acme/orders", "not-a-jwt");
    expect(decision).toMatchObject({ status: 401, reason: "malformed" });
  });

  it("answers 401 claim_type when a claim cannot become the principal", async () => {
    const env = await setup();
    const { decision } = await decide(env, "GET", "/tenants/acme/orders", await env.token({ ...viewer, groups: 7 }));
    expect(decision).toMatchObject({ status: 401, reason: "claim_type" });
  });

  it("answers 503 jwks_unavailable when the issuer's keys cannot be fetched", async () => {
    const jwks = await startJwksServer([]);
    try {
      jwks.setMode("down");
      const env = await setup({
        token: { issuers: [{ issuer: ISSUER, audience: AUDIENCE, algorithms: ["ES256"], jwksUri: jwks.url, jwksTimeoutMs: 500 }] },
      });
      const { decision } = await decide(env, "GET", "/tenants/acme/orders", await env.token(viewer));
      expect(decision).toMatchObject({ allow: false, status: 503, reason: "jwks_unavailable" });
    } finally {
      await jwks.stop();
    }
  });
});

describe("authorize: revocation", () => {
  it("denies a revoked subject with 401 revoked", async () => {
    const env0 = await setup();
    const store = createMemoryStore();
    const env = await setup({}, { revocationStore: store, clock: env0.clock });
    const token = await env.token(viewer);
    expect((await env.authorize(input("GET", "/tenants/acme/orders", token))).allow).toBe(true);
    env0.clock.advance(1000);
    await revoke(store, { iss: ISSUER, sub: "vera", before: NOW_MS / 1000 + 1 }, { clock: env0.clock });
    env0.clock.advance(10_000); // past the checker's 5 s cache
    const { decision, line } = await decide(env, "GET", "/tenants/acme/orders", token);
    expect(decision).toMatchObject({ allow: false, status: 401, reason: "revoked" });
    expect(line.revocation).toMatchObject({ checked: true, outcome: "revoked" });
  });

  it("skips the check when revocation is switched off with null", async () => {
    const env = await setup({ revocation: null });
    const { decision, line } = await decide(env, "GET", "/tenants/acme/orders", await env.token(viewer));
    expect(decision.allow).toBe(true);
    expect(line.revocation).toBeNull();
  });

  describe("store down", async () => {
    // A real Upstash client against a port where nothing listens: every lookup fails
    const port = await freePort();
    const downStore = () => createUpstashStore({ url: `http://127.0.0.1:${port}`, token: "t" });
    const routeName = "GET /tenants/:tenant/orders";

    it("fails closed by default with 503 revocation_unavailable", async () => {
      const env = await setup({ revocation: { store: { kind: "upstash" }, deadlineMs: 500 } }, { revocationStore: downStore() });
      const { decision, line } = await decide(env, "GET", "/tenants/acme/orders", await env.token(viewer));
      expect(decision).toMatchObject({ allow: false, status: 503, reason: "revocation_unavailable" });
      expect(line.fail_mode_used).toBe("closed");
    });

    it("fails open on a route named in failModes, and says so in the audit line", async () => {
      const env = await setup({ revocation: { store: { kind: "upstash" }, deadlineMs: 500 }, failModes: { [routeName]: "open" } }, { revocationStore: downStore() });
      const { decision, line } = await decide(env, "GET", "/tenants/acme/orders", await env.token(viewer));
      expect(decision).toMatchObject({ allow: true, status: 200, reason: "allowed" });
      expect(line.fail_mode_used).toBe("open");
      // other routes keep the default
      const other = await decide(env, "GET", "/tenants/acme/orders/o-1", await env.token(viewer));
      expect(other.decision).toMatchObject({ status: 503, reason: "revocation_unavailable" });
    });

    it("fails open everywhere with failMode open", async () => {
      const env = await setup({ revocation: { store: { kind: "upstash" }, deadlineMs: 500 }, failMode: "open" }, { revocationStore: downStore() });
      const { decision } = await decide(env, "GET", "/tenants/acme/orders/o-1", await env.token(viewer));
      expect(decision).toMatchObject({ allow: true, reason: "allowed" });
    });

    it("with failMode stale and no earlier answer, fails closed", async () => {
      const env = await setup({ revocation: { store: { kind: "upstash" }, deadlineMs: 500 }, failMode: "stale" }, { revocationStore: downStore() });
      const { decision } = await decide(env, "GET", "/tenants/acme/orders", await env.token(viewer));
      expect(decision).toMatchObject({ allow: false, status: 503, reason: "revocation_unavailable" });
    });
  });
});

describe("authorize: policy context", () => {
  const routes = [{ method: "GET", path: "/things/:id", action: "Read", resource: { type: "Thing", id: "{id}" } }];
  async function withPolicy(text: string, overrides = {}) {
    const policies = await loadPolicyModule(compilePolicies({ policies: text }).source);
    return setup({ routes, ...overrides }, { policies });
  }

  it("passes the client ip as a Cedar ipaddr", async () => {
    const env = await withPolicy('@id("office") permit (principal, action, resource) when { context.ip.isInRange(ip("203.0.113.0/24")) };');
    expect((await env.authorize(input("GET", "/things/1", await env.token(viewer)))).reason).toBe("allowed");
    expect((await env.authorize(input("GET", "/things/1", await env.token(viewer), { clientIp: "198.51.100.1" }))).reason).toBe("policy_denied");
  });

  it("leaves ip out when the platform gave none or an unparsable one", async () => {
    const env = await withPolicy('@id("no-ip") permit (principal, action, resource) unless { context has ip };');
    expect((await env.authorize(input("GET", "/things/1", await env.token(viewer), { clientIp: undefined }))).reason).toBe("allowed");
    expect((await env.authorize(input("GET", "/things/1", await env.token(viewer), { clientIp: "not an ip" }))).reason).toBe("allowed");
  });

  it("passes the decision time from the injected clock as a Cedar datetime", async () => {
    const env = await withPolicy('@id("hours") permit (principal, action, resource) when { context.time >= datetime("2026-11-22T09:59:59Z") && context.time < datetime("2026-11-22T10:00:01Z") };');
    expect((await env.authorize(input("GET", "/things/1", await env.token(viewer)))).reason).toBe("allowed");
    env.clock.advance(2000);
    expect((await env.authorize(input("GET", "/things/1", await env.token(viewer)))).reason).toBe("policy_denied");
  });

  it("passes scopes, amr and acr from the token", async () => {
    const env = await withPolicy('@id("ctx") permit (principal, action, resource) when { context.scopes.contains("orders:read") && context.amr.contains("pwd") && context.acr == "gold" };');
    expect((await env.authorize(input("GET", "/things/1", await env.token({ ...viewer, acr: "gold" })))).reason).toBe("allowed");
    expect((await env.authorize(input("GET", "/things/1", await env.token(viewer)))).reason).toBe("policy_denied");
  });

  it("passes only allowlisted headers, lower-cased", async () => {
    const env = await withPolicy('@id("hdr") permit (principal, action, resource) when { context.headers has "x-region" && context.headers["x-region"] == "eu" && !(context.headers has "x-other") };', { context: { headers: ["X-Region"] } });
    const token = await env.token(viewer);
    expect((await env.authorize(input("GET", "/things/1", undefined, { headers: new Headers({ authorization: `Bearer ${token}`, "x-region": "eu", "x-other": "1" }) }))).reason).toBe("allowed");
  });

  it("passes Cloudflare geo facts when present", async () => {
    const env = await withPolicy('@id("geo") permit (principal, action, resource) when { context.geo.country == "DE" && context.geo.asn == 13335 };');
    const token = await env.token(viewer);
    expect((await env.authorize(input("GET", "/things/1", token, { cf: { country: "DE", asn: 13335 } }))).reason).toBe("allowed");
    expect((await env.authorize(input("GET", "/things/1", token, { cf: { country: "FR", asn: 13335 } }))).reason).toBe("policy_denied");
  });
});

describe("authorize: failures never escape", () => {
  it("turns a throwing policy module into a fail-closed 503 internal_error with one audit line", async () => {
    const real = await examplePolicies();
    const broken = { ...real, evaluate: () => { throw new Error("boom"); } };
    const env = await setup({}, { policies: broken });
    const { decision } = await decide(env, "GET", "/tenants/acme/orders", await env.token(viewer));
    expect(decision).toMatchObject({ allow: false, status: 503, reason: "internal_error" });
  });

  it("answers malformed inputs with a deny, never a throw", async () => {
    const env = await setup();
    const odd = [
      { platform: "worker", method: "", path: "", headers: new Headers() },
      { platform: "worker", method: "GET", path: "/tenants/acme/orders", headers: { get: () => null } },
      { platform: "node", method: "GET", path: "\u0000", headers: new Headers(), clientIp: "x".repeat(10_000) },
    ] as const;
    for (const o of odd) {
      const decision = await env.authorize(o as never);
      expect(decision.allow).toBe(false);
    }
    expect(env.sink.records).toHaveLength(odd.length);
  });
});

describe("authorize: security", () => {
  it("refuses path tricks before matching, without needing a token", async () => {
    const env = await setup();
    const cases: [string, string][] = [
      ["/tenants/acme/orders/../../admin/audit", "path_traversal"],
      ["/tenants/acme/orders/%2e%2e/%2e%2e/admin/audit", "path_traversal"],
      ["/tenants/acme%2Forders", "encoded_separator"],
      ["/tenants/acme//orders", "empty_segment"],
      ["/admin/audit%00", "nul_byte"],
    ];
    for (const [path, reason] of cases) {
      const { decision } = await decide(env, "GET", path, await env.token(admin));
      expect({ path, status: decision.status, reason: decision.reason }).toEqual({ path, status: 403, reason });
    }
  });

  it("matches literal segments case-sensitively: /ADMIN/audit is not /admin/audit", async () => {
    const env = await setup();
    const { decision } = await decide(env, "GET", "/ADMIN/audit", await env.token({ ...admin }));
    expect(decision).toMatchObject({ status: 403, reason: "no_route" });
  });

  it("ignores inbound x-gatehouse-* headers: they decide nothing and identity comes from the token", async () => {
    const env = await setup();
    const token = await env.token(viewer);
    const decision = await env.authorize(input("GET", "/tenants/acme/orders", undefined, {
      headers: new Headers({ authorization: `Bearer ${token}`, "x-gatehouse-principal": 'User::"ada"', "x-gatehouse-tenant": "globex" }),
    }));
    expect(decision.identityHeaders?.["x-gatehouse-principal"]).toBe('User::"vera"');
    expect(decision.identityHeaders?.["x-gatehouse-tenant"]).toBe("acme");
  });

  it("refuses a credential sent twice", async () => {
    const env = await setup();
    const { decision } = await decide(env, "GET", "/tenants/acme/orders", await env.token(viewer), { headerCounts: { authorization: 2 } });
    expect(decision).toMatchObject({ status: 401, reason: "malformed" });
  });

  it("never writes the token into the audit line", async () => {
    const env = await setup();
    const token = await env.token(viewer);
    await env.authorize(input("GET", "/tenants/acme/orders", token));
    await env.authorize(input("GET", "/tenants/globex/orders", token));
    await env.authorize(input("GET", "/tenants/acme/orders", token + "x"));
    for (const line of env.sink.lines) {
      expect(line).not.toContain(token.split(".")[1]);
      expect(line).not.toContain(token.split(".")[2]);
    }
  });

  // Regression for #21: a proxy copying only the headers present would pass a client's own x-gatehouse-tenant
  it("sends x-gatehouse-tenant, empty, when the principal has no tenant (#21)", async () => {
    const env = await setup();
    const decision = await env.authorize(input("GET", "/admin/audit", await env.token({ sub: "ada", groups: ["admin"], amr: ["pwd", "mfa"] })));
    expect(decision.allow).toBe(true);
    expect(decision.identityHeaders).toEqual({ "x-gatehouse-principal": 'User::"ada"', "x-gatehouse-tenant": "", "x-gatehouse-decision-id": decision.decisionId });
  });

  it("keeps identity header values printable ASCII whatever the claims hold", async () => {
    const env = await setup();
    const ok = await env.authorize(input("GET", "/tenants/t%C3%A9/orders", await env.token({ ...viewer, sub: "v\r\nx-evil: 1\u00e9", tenant: "t\u00e9" })));
    expect(ok.allow).toBe(true);
    for (const value of Object.values(ok.identityHeaders ?? {})) expect(value).toMatch(/^[\x20-\x7e]+$/);
    expect(ok.identityHeaders?.["x-gatehouse-principal"]).toBe('User::"v\\r\\nx-evil: 1\\u00e9"');
  });
});

describe("createAuthorizer: configuration errors", () => {
  async function configError(mutate: (config: Record<string, unknown>) => void, deps: Record<string, unknown> = {}): Promise<ConfigError> {
    const key = await createTestKey("ES256");
    const config = baseConfig(key) as unknown as Record<string, unknown>;
    mutate(config);
    try {
      createAuthorizer(config as never, { policies: await examplePolicies(), ...deps });
    } catch (error) {
      // the audit stage still has its own ConfigError class of the same name
      if (error instanceof ConfigError || (error instanceof Error && error.name === "ConfigError")) return error as ConfigError;
      throw error;
    }
    throw new Error("expected a ConfigError");
  }

  it("requires the token section", async () => {
    expect((await configError((c) => delete c.token)).field).toBe("token");
  });

  it("requires revocation, or null in writing", async () => {
    const error = await configError((c) => delete c.revocation);
    expect(error.field).toBe("revocation");
    expect(error.message).toMatch(/`null` to switch revocation checks off/);
  });

  it("requires routes", async () => {
    expect((await configError((c) => delete c.routes)).field).toBe("routes");
  });

  it("refuses an unknown top-level option", async () => {
    const error = await configError((c) => (c.failmode = "open"));
    expect(error.field).toBe("failmode");
  });

  it("refuses a fail mode that is not closed, open or stale", async () => {
    const error = await configError((c) => (c.failMode = "maybe"));
    expect(error.field).toBe("failMode");
    expect(error.message).toBe("failMode: expected `closed`, `open` or `stale`, got `maybe`");
  });

  it("refuses failModes naming a route that does not exist", async () => {
    const error = await configError((c) => (c.failModes = { "GET /nope": "open" }));
    expect(error.field).toBe("failModes.GET /nope");
  });

  it("refuses a credential header in context.headers", async () => {
    const error = await configError((c) => (c.context = { headers: ["Authorization"] }));
    expect(error.field).toBe("context.headers[0]");
  });

  it("refuses out-of-range path limits", async () => {
    expect((await configError((c) => (c.paths = { maxSegments: 0 }))).field).toBe("paths.maxSegments");
  });

  it("reports the failing field of a stage's section", async () => {
    expect((await configError((c) => ((c.token as { issuers: unknown[] }).issuers = []))).field).toBe("token.issuers");
    expect((await configError((c) => (c.revocation = { store: { kind: "floppy" } }))).field).toBe("revocation.store.kind");
    expect((await configError((c) => (c.audit = { clientIp: "everything" }))).field).toBe("audit.clientIp");
  });

  it("refuses a missing policy module", async () => {
    expect((await configError(() => undefined, { policies: undefined })).field).toBe("policies");
  });

  it("leaves the caller's config alone", async () => {
    const key = await createTestKey("ES256");
    const config = baseConfig(key);
    const copy = structuredClone(config);
    createAuthorizer(config, { policies: await examplePolicies() });
    expect(config).toEqual(copy);
  });
});
