// Opaque tokens through RFC 7662 introspection (issue #20), against the local provider's real
// introspection endpoint: active and inactive tokens, an endpoint that is down or slow under each
// fail mode, the cache and its keys, and the token kept out of every line written.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { SignJWT, generateKeyPair } from "jose";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { systemClock, type Clock } from "../../../shared/clock/index.ts";
import { ConfigError } from "../../../shared/errors.ts";
import { isPromise } from "../../../shared/pipeline/state.ts";
import type { Introspection } from "../../../shared/token/introspect.ts";
import { createJwksRegistry, createTokenVerifier, validateTokenConfig, type IssuerConfig } from "../../../shared/token/index.ts";
import { freePort } from "../../harness/free-port.ts";
import { INTROSPECTOR_CLIENT, JWT_INTROSPECTOR_CLIENT_ID, JWT_RESOURCE, OPAQUE_RESOURCE, startOidcProvider, type OidcProviderServer } from "../../harness/oidc-provider.ts";
import { apiRequest, oidcPipeline } from "./_oidc.ts";

let op: OidcProviderServer;
beforeAll(async () => {
  op = await startOidcProvider();
});
afterAll(() => op.stop());
afterEach(() => op.setIntrospectionMode("ok"));

const introspections = () => op.requests.filter((path) => path === "/token/introspection").length;

function opaqueIssuer(introspection: Partial<NonNullable<IssuerConfig["introspection"]>> = {}): IssuerConfig {
  return {
    issuer: op.issuer,
    audience: OPAQUE_RESOURCE,
    algorithms: ["ES256"],
    discovery: { allowLoopbackHttp: true },
    jwksTimeoutMs: 10_000,
    // Generous by default: the provider shares two loaded cores with other test files
    introspection: { endpoint: op.introspectionEndpoint, clientId: INTROSPECTOR_CLIENT.id, clientAuth: "client_secret_basic", clientSecret: INTROSPECTOR_CLIENT.secret, deadlineMs: 5000, ...introspection },
  };
}

function verifierFor(issuer: IssuerConfig, clock: Clock = systemClock) {
  let introspection: Introspection | undefined;
  const verifier = createTokenVerifier({ issuers: [issuer] }, { clock, jwksRegistry: createJwksRegistry(), onIntrospection: (built) => (introspection = built) });
  return { verifier, introspection: introspection! };
}

describe("introspection: the provider's opaque tokens through the pipeline", () => {
  it("allows an active opaque token, its claims mapped as a JWT's, and answers the next request from the cache", async () => {
    const { authorize, audit } = await oidcPipeline([opaqueIssuer()]);
    const token = await op.token(OPAQUE_RESOURCE);
    expect(token.includes(".")).toBe(false);
    const before = introspections();
    const request = apiRequest("GET", "/tenants/acme/orders", { authorization: `Bearer ${token}` });
    expect(await authorize(request)).toMatchObject({ allow: true, reason: "allowed", principal: { type: "User", id: "orders-app", tenant: "acme" } });
    expect(introspections()).toBe(before + 1);
    // Cache hit: no second call, and the decision is made in the same turn
    const again = authorize.decide(request);
    expect(isPromise(again)).toBe(false);
    expect(again).toMatchObject({ allow: true, reason: "allowed" });
    expect(introspections()).toBe(before + 1);
    expect(audit.records.at(-1)).toMatchObject({ decision_reason: "allowed", cache: { token_hit: true } });
  });

  it("denies a token the provider no longer considers active (active: false) with token_inactive, and caches that shortly", async () => {
    const { authorize, audit } = await oidcPipeline([opaqueIssuer()]);
    const token = await op.token(OPAQUE_RESOURCE);
    await op.revoke(token);
    const before = introspections();
    const request = apiRequest("GET", "/tenants/acme/orders", { authorization: `Bearer ${token}` });
    const decision = await authorize(request);
    expect(decision).toMatchObject({ allow: false, status: 401, reason: "token_inactive" });
    expect(decision.wwwAuthenticate).toBe('Bearer error="invalid_token", error_description="the access token is missing, invalid or expired"');
    expect(audit.records.at(-1)).toMatchObject({ decision_reason: "token_inactive", auth_error: "token_inactive", detail: { stage: "token", field: "active" } });
    expect(await authorize(request)).toMatchObject({ reason: "token_inactive" });
    expect(introspections()).toBe(before + 1);
  });

  it("fails closed with 503 introspection_unavailable when the endpoint is down (fail mode closed)", async () => {
    const { authorize, audit } = await oidcPipeline([opaqueIssuer({ failMode: "closed" })]);
    const token = await op.token(OPAQUE_RESOURCE);
    op.setIntrospectionMode("down");
    expect(await authorize(apiRequest("GET", "/tenants/acme/orders", { authorization: `Bearer ${token}` }))).toMatchObject({ allow: false, status: 503, reason: "introspection_unavailable" });
    expect(audit.records.at(-1)).toMatchObject({ detail: { stage: "token", field: "introspection" } });
  });

  it("fails closed with 503 introspection_unavailable when nothing listens at the endpoint (connection refused)", async () => {
    const endpoint = `http://127.0.0.1:${await freePort()}/token/introspection`;
    const { authorize, audit } = await oidcPipeline([opaqueIssuer({ endpoint })]);
    const token = await op.token(OPAQUE_RESOURCE);
    expect(await authorize(apiRequest("GET", "/tenants/acme/orders", { authorization: `Bearer ${token}` }))).toMatchObject({ allow: false, status: 503, reason: "introspection_unavailable" });
    expect(audit.records.at(-1)).toMatchObject({ decision_reason: "introspection_unavailable", detail: { stage: "token", field: "introspection" } });
  });

  it("gives up on a slow endpoint at its deadline (no answer is no access)", async () => {
    const { authorize } = await oidcPipeline([opaqueIssuer({ deadlineMs: 200 })]);
    const token = await op.token(OPAQUE_RESOURCE);
    op.setIntrospectionMode("hang");
    expect(await authorize(apiRequest("GET", "/tenants/acme/orders", { authorization: `Bearer ${token}` }))).toMatchObject({ status: 503, reason: "introspection_unavailable" });
  });

  it("authenticates with private_key_jwt as well as client_secret_basic", async () => {
    const issuer = opaqueIssuer({ clientId: JWT_INTROSPECTOR_CLIENT_ID, clientAuth: "private_key_jwt", clientSecret: undefined, privateKey: op.introspectorKey });
    const { authorize } = await oidcPipeline([issuer]);
    const token = await op.token(OPAQUE_RESOURCE);
    expect(await authorize(apiRequest("GET", "/tenants/acme/orders", { authorization: `Bearer ${token}` }))).toMatchObject({ allow: true });
  });

  it("with tokens: all, needs no key source and sends the issuer's JWTs to the endpoint as well, never verifying them locally", async () => {
    const { authorize } = await oidcPipeline([{ ...opaqueIssuer({ tokens: "all" }), discovery: undefined, jwksTimeoutMs: undefined }]);
    const before = introspections();
    const opaque = await op.token(OPAQUE_RESOURCE);
    expect(await authorize(apiRequest("GET", "/tenants/acme/orders", { authorization: `Bearer ${opaque}` }))).toMatchObject({ allow: true });
    // oidc-provider refuses to introspect its structured (JWT) tokens (400 unsupported_token_type):
    // the JWT went to the endpoint, and no answer is no access
    const jwt = await op.token(JWT_RESOURCE);
    expect(await authorize(apiRequest("GET", "/tenants/acme/orders", { authorization: `Bearer ${jwt}` }))).toMatchObject({ status: 503, reason: "introspection_unavailable" });
    expect(introspections()).toBe(before + 2);
    expect(op.requests).not.toContain("/jwks");
  });
});

describe("introspection: signed answers (RFC 9701)", () => {
  it("uses the provider's signed answer once verified with its discovered keys, active or not", async () => {
    const { authorize } = await oidcPipeline([opaqueIssuer({ jwtResponse: true })]);
    const token = await op.token(OPAQUE_RESOURCE);
    expect(await authorize(apiRequest("GET", "/tenants/acme/orders", { authorization: `Bearer ${token}` }))).toMatchObject({ allow: true });
    const revoked = await op.token(OPAQUE_RESOURCE);
    await op.revoke(revoked);
    expect(await authorize(apiRequest("GET", "/tenants/acme/orders", { authorization: `Bearer ${revoked}` }))).toMatchObject({ status: 401, reason: "token_inactive" });
  });

  it("refuses an answer signed by another key, or a plain JSON answer where a signed one was asked for", async () => {
    const forger = await generateKeyPair("ES256");
    let body = "";
    let type = "application/token-introspection+jwt";
    const server = createServer((_req, res) => res.writeHead(200, { "content-type": type }).end(body));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/introspect`;
      const { authorize } = await oidcPipeline([opaqueIssuer({ jwtResponse: true, endpoint })]);
      const now = Math.floor(Date.now() / 1000);
      body = await new SignJWT({ token_introspection: { active: true, iss: op.issuer, aud: OPAQUE_RESOURCE, client_id: "x", tenant: "acme", groups: ["viewer"], scope: "orders:read", exp: now + 300 } })
        .setProtectedHeader({ alg: "ES256", typ: "token-introspection+jwt", kid: "op-es256" })
        .setIssuer(op.issuer).setAudience(INTROSPECTOR_CLIENT.id).setIssuedAt(now)
        .sign(forger.privateKey);
      const ask = async (token: string) => authorize(apiRequest("GET", "/tenants/acme/orders", { authorization: `Bearer ${token}` }));
      expect(await ask("opaque-token-forged-answer-0001")).toMatchObject({ status: 503, reason: "introspection_unavailable" });
      type = "application/json";
      body = JSON.stringify({ active: true, iss: op.issuer, aud: OPAQUE_RESOURCE, client_id: "x", tenant: "acme", groups: ["viewer"], scope: "orders:read", exp: now + 300 });
      expect(await ask("opaque-token-plain-answer-0002")).toMatchObject({ status: 503, reason: "introspection_unavailable" });
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

describe("introspection: fail mode stale, cache bounds and coalescing", () => {
  it("serves the last active answer past its cache lifetime while the endpoint is down (fail mode stale), then fails closed", async () => {
    let offset = 0;
    const clock = { now: () => Date.now() + offset };
    const { verifier } = verifierFor(opaqueIssuer({ failMode: "stale", cacheTtlMs: 1000, maxStaleMs: 60_000 }), clock);
    const token = await op.token(OPAQUE_RESOURCE);
    expect(await verifier.verify(token)).toMatchObject({ ok: true, cache: { hit: false } });
    op.setIntrospectionMode("down");
    offset = 5000;
    expect(await verifier.verify(token)).toMatchObject({ ok: true, cache: { hit: true } });
    offset = 120_000;
    expect(await verifier.verify(token)).toMatchObject({ ok: false, reason: "introspection_unavailable" });
  });

  it("serves the last active answer when the endpoint is slow past its deadline (fail mode stale)", async () => {
    let offset = 0;
    const clock = { now: () => Date.now() + offset };
    const { verifier } = verifierFor(opaqueIssuer({ failMode: "stale", cacheTtlMs: 1000, maxStaleMs: 60_000, deadlineMs: 200 }), clock);
    const token = await op.token(OPAQUE_RESOURCE);
    expect(await verifier.verify(token)).toMatchObject({ ok: true, cache: { hit: false } });
    op.setIntrospectionMode("hang");
    offset = 5000;
    const started = performance.now();
    expect(await verifier.verify(token)).toMatchObject({ ok: true, cache: { hit: true } });
    // The deadline, not the hanging endpoint, ended the wait
    expect(performance.now() - started).toBeLessThan(5000);
  });

  it("never keeps an answer past the token's exp", async () => {
    let offset = 0;
    const clock = { now: () => Date.now() + offset };
    const { verifier } = verifierFor(opaqueIssuer({ cacheTtlMs: 3_600_000 }), clock);
    const token = await op.token(OPAQUE_RESOURCE);
    expect(await verifier.verify(token)).toMatchObject({ ok: true });
    expect(verifier.verifyCached(token)).toMatchObject({ ok: true, cache: { hit: true } });
    // The provider's tokens live 600 s; the tolerance is 30 s
    offset = 700_000;
    expect(verifier.verifyCached(token)).toBeUndefined();
  });

  it("coalesces concurrent misses for one token into one call", async () => {
    const { verifier } = verifierFor(opaqueIssuer());
    const token = await op.token(OPAQUE_RESOURCE);
    const before = introspections();
    const outcomes = await Promise.all([verifier.verify(token), verifier.verify(token), verifier.verify(token)]);
    expect(outcomes.map((o) => o.ok)).toEqual([true, true, true]);
    expect(introspections()).toBe(before + 1);
  });

  it("refuses a configuration with two issuers introspecting opaque tokens", () => {
    const other = { ...opaqueIssuer(), issuer: "https://other.example", discovery: true as const };
    expect(() => validateTokenConfig({ issuers: [opaqueIssuer(), other] })).toThrow(ConfigError);
  });
});

describe("security: the token stays out of cache keys, logs and audit lines", () => {
  it("keys the cache by a keyed hash and writes the token nowhere", async () => {
    const written: string[] = [];
    const capture = (chunk: unknown) => {
      written.push(String(chunk));
      return true;
    };
    // Vitest's console does not write through process.stdout in a test worker: the console is spied on as well
    const spies = [
      vi.spyOn(process.stdout, "write").mockImplementation(capture),
      vi.spyOn(process.stderr, "write").mockImplementation(capture),
      ...(["log", "info", "warn", "error", "debug"] as const).map((method) => vi.spyOn(console, method).mockImplementation((...args: unknown[]) => void written.push(args.map(String).join(" ")))),
    ];
    try {
      const { verifier, introspection } = verifierFor(opaqueIssuer());
      const { authorize, audit } = await oidcPipeline([opaqueIssuer()]);
      const active = await op.token(OPAQUE_RESOURCE);
      const inactive = await op.token(OPAQUE_RESOURCE);
      await op.revoke(inactive);
      await verifier.verify(active);
      await verifier.verify(inactive);
      for (const token of [active, inactive]) await authorize(apiRequest("GET", "/tenants/acme/orders", { authorization: `Bearer ${token}` }));
      op.setIntrospectionMode("down");
      const third = await op.token(OPAQUE_RESOURCE);
      await authorize(apiRequest("GET", "/tenants/acme/orders", { authorization: `Bearer ${third}` }));

      const keys = [...introspection.keys()];
      expect(keys).toHaveLength(2);
      for (const key of keys) expect(key).toMatch(/^[0-9a-f]{64}$/);
      const everything = [...keys, ...audit.lines, ...written].join("\n");
      expect(audit.lines).toHaveLength(3);
      for (const token of [active, inactive, third]) expect(everything.includes(token)).toBe(false);
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
  });
});
