// OIDC discovery (issue #20): an issuer given by `issuer` alone, its keys found through its
// discovery document, against the real provider and against hostile documents.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { frozenClock } from "../../../shared/clock/index.ts";
import { ConfigError } from "../../../shared/errors.ts";
import { createJwksRegistry, createTokenVerifier, memoryJwksPersistence, type IssuerConfig } from "../../../shared/token/index.ts";
import { createTestKey, mintToken, type TestKey } from "../../harness/index.ts";
import { JWT_RESOURCE, startOidcProvider, type OidcProviderServer } from "../../harness/oidc-provider.ts";
import { apiRequest, discoveredIssuer, oidcPipeline } from "./_oidc.ts";

const NOW_MS = Date.UTC(2026, 10, 22, 10, 0, 0);
const NOW = NOW_MS / 1000;

/** A discovery document server whose answers each test sets: the document, its JWKS, or none. */
interface DocumentServer {
  readonly origin: string;
  readonly requests: string[];
  document: unknown;
  status: number;
  jwks: unknown;
  stop(): Promise<void>;
}

async function startDocumentServer(): Promise<DocumentServer> {
  const state = { requests: [] as string[], document: {} as unknown, status: 200, jwks: { keys: [] } as unknown };
  const server: Server = createServer((req, res) => {
    state.requests.push(req.url ?? "");
    if (req.url === "/.well-known/openid-configuration") {
      const body = typeof state.document === "string" ? state.document : JSON.stringify(state.document);
      res.writeHead(state.status, { "content-type": "application/json" }).end(body);
    } else if (req.url === "/jwks") res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(state.jwks));
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return Object.assign(state, {
    origin,
    stop: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  });
}

describe("OIDC discovery against the local provider", () => {
  let op: OidcProviderServer;
  beforeAll(async () => {
    op = await startOidcProvider();
  });
  afterAll(() => op.stop());

  it("verifies the provider's tokens with keys found through its discovery document, fetched once", async () => {
    const { authorize } = await oidcPipeline([discoveredIssuer(op)]);
    const before = op.requests.length;
    for (let i = 0; i < 2; i++) {
      const token = await op.token(JWT_RESOURCE);
      const decision = await authorize(apiRequest("GET", "/tenants/acme/orders", { authorization: `Bearer ${token}` }));
      expect(decision).toMatchObject({ allow: true, reason: "allowed" });
    }
    const fetched = op.requests.slice(before).filter((path) => path !== "/token");
    expect(fetched).toEqual(["/.well-known/openid-configuration", "/jwks"]);
  });

  it("refuses an http issuer for discovery unless loopback http is allowed in writing", () => {
    expect(() => createTokenVerifier({ issuers: [discoveredIssuer(op, { discovery: true })] })).toThrow(ConfigError);
    expect(() => createTokenVerifier({ issuers: [discoveredIssuer(op, { discovery: true })] })).toThrow(/discovery: expected an https issuer/);
  });

  it("takes discovery as the one key source", () => {
    expect(() => createTokenVerifier({ issuers: [discoveredIssuer(op, { jwksUri: `${op.issuer}/jwks` })] })).toThrow(/exactly one of jwksUri, jwks, secret or discovery/);
  });
});

describe("OIDC discovery: documents that must not be trusted", () => {
  let server: DocumentServer;
  let key: TestKey;
  beforeAll(async () => {
    server = await startDocumentServer();
    key = await createTestKey("ES256");
  });
  afterAll(() => server.stop());

  function verifier(overrides: Partial<IssuerConfig> = {}, clock = frozenClock(NOW_MS)) {
    const issuer: IssuerConfig = { issuer: server.origin, audience: "api", algorithms: ["ES256"], discovery: { allowLoopbackHttp: true }, ...overrides };
    return { clock, verify: createTokenVerifier({ issuers: [issuer] }, { clock, jwksRegistry: createJwksRegistry() }) };
  }
  const token = (header: Record<string, unknown> = {}) => mintToken(key, {}, { issuer: server.origin, audience: "api", subject: "s", now: NOW, header });
  const serveGood = () => {
    server.status = 200;
    server.document = { issuer: server.origin, jwks_uri: `${server.origin}/jwks` };
    server.jwks = { keys: [key.publicJwk] };
  };

  it("accepts a document whose issuer matches exactly and whose jwks_uri is on the issuer's host", async () => {
    serveGood();
    const { verify } = verifier();
    expect(await verify.verify(await token())).toMatchObject({ ok: true, issuer: server.origin });
  });

  it("refuses a document naming another issuer (OIDC Discovery §4.3), and never fetches its jwks_uri", async () => {
    serveGood();
    server.document = { issuer: `${server.origin}/`, jwks_uri: `${server.origin}/jwks` };
    server.requests.length = 0;
    const { verify } = verifier();
    expect(await verify.verify(await token())).toEqual({ ok: false, reason: "discovery_unavailable", field: "discovery", issuer: server.origin });
    expect(server.requests).toEqual(["/.well-known/openid-configuration"]);
  });

  it("refuses a jwks_uri on a host that is not allowed, and accepts it once the host is listed", async () => {
    serveGood();
    const port = new URL(server.origin).port;
    server.document = { issuer: server.origin, jwks_uri: `http://localhost:${port}/jwks` };
    expect(await verifier().verify.verify(await token())).toMatchObject({ ok: false, reason: "discovery_unavailable" });
    const allowed = verifier({ discovery: { allowLoopbackHttp: true, jwksHosts: [`localhost:${port}`] } });
    expect(await allowed.verify.verify(await token())).toMatchObject({ ok: true });
  });

  it("refuses an http jwks_uri off loopback, and one with credentials", async () => {
    serveGood();
    server.document = { issuer: server.origin, jwks_uri: "http://keys.example/jwks" };
    const hosts = { discovery: { allowLoopbackHttp: true, jwksHosts: ["keys.example"] } };
    expect(await verifier(hosts).verify.verify(await token())).toMatchObject({ ok: false, reason: "discovery_unavailable" });
    server.document = { issuer: server.origin, jwks_uri: `http://user:pw@${new URL(server.origin).host}/jwks` };
    expect(await verifier().verify.verify(await token())).toMatchObject({ ok: false, reason: "discovery_unavailable" });
  });

  it("refuses a document over the size cap, a non-200 answer and one that is not JSON", async () => {
    serveGood();
    server.document = JSON.stringify({ issuer: server.origin, jwks_uri: `${server.origin}/jwks`, padding: "x".repeat(70_000) });
    expect(await verifier().verify.verify(await token())).toMatchObject({ ok: false, reason: "discovery_unavailable" });
    serveGood();
    server.status = 500;
    expect(await verifier().verify.verify(await token())).toMatchObject({ ok: false, reason: "discovery_unavailable" });
    serveGood();
    server.document = "{not json";
    expect(await verifier().verify.verify(await token())).toMatchObject({ ok: false, reason: "discovery_unavailable" });
  });

  it("never fetches a URL the token names (jku, x5u)", async () => {
    serveGood();
    server.requests.length = 0;
    const { verify } = verifier();
    const hostile = await token({ jku: `${server.origin}/attacker-jwks`, x5u: `${server.origin}/attacker-cert` });
    await verify.verify(hostile);
    expect(server.requests.filter((path) => path.startsWith("/attacker"))).toEqual([]);
  });

  it("waits out the cooldown after a failed fetch instead of asking again on every request", async () => {
    serveGood();
    server.status = 503;
    server.requests.length = 0;
    const { verify, clock } = verifier();
    expect(await verify.verify(await token())).toMatchObject({ reason: "discovery_unavailable" });
    expect(await verify.verify(await token())).toMatchObject({ reason: "discovery_unavailable" });
    expect(server.requests).toEqual(["/.well-known/openid-configuration"]);
    server.status = 200;
    clock.advance(30_000);
    expect(await verify.verify(await token())).toMatchObject({ ok: true });
  });

  it("starts a new isolate from the persisted document and key set, without a fetch, while the issuer is down", async () => {
    serveGood();
    const persistence = memoryJwksPersistence();
    const issuer: IssuerConfig = { issuer: server.origin, audience: "api", algorithms: ["ES256"], discovery: { allowLoopbackHttp: true } };
    const isolate = () => createTokenVerifier({ issuers: [issuer] }, { clock: frozenClock(NOW_MS), jwksRegistry: createJwksRegistry(), persistence });
    expect(await isolate().verify(await token())).toMatchObject({ ok: true });
    const documentUri = `${server.origin}/.well-known/openid-configuration`;
    expect(persistence.records.get(documentUri)).toMatchObject({ jwksUri: `${server.origin}/jwks`, fetchedAtMs: NOW_MS });
    expect(persistence.records.has(`${server.origin}/jwks`)).toBe(true);
    server.status = 503;
    server.jwks = { keys: [] };
    server.requests.length = 0;
    expect(await isolate().verify(await token())).toMatchObject({ ok: true });
    expect(server.requests).toEqual([]);
    // A persisted jwks_uri is checked again: one on a host the configuration does not allow is not used
    persistence.records.set(documentUri, { jwks: { keys: [] }, fetchedAtMs: NOW_MS, jwksUri: "https://keys.attacker.example/jwks" });
    expect(await isolate().verify(await token())).toMatchObject({ ok: false, reason: "discovery_unavailable" });
  });

  it("keeps using a document past its freshness while the endpoint is down, up to the max stale age", async () => {
    serveGood();
    const { verify, clock } = verifier({ jwksCacheSeconds: 60, jwksMaxStaleSeconds: 120, jwksCooldownMs: 1000 });
    expect(await verify.verify(await token())).toMatchObject({ ok: true });
    server.status = 503;
    server.jwks = { keys: [] };
    clock.advance(90_000);
    const later = await mintToken(key, {}, { issuer: server.origin, audience: "api", subject: "s", now: NOW + 90 });
    expect(await verify.verify(later)).toMatchObject({ ok: true });
    clock.advance(100_000);
    const past = await mintToken(key, {}, { issuer: server.origin, audience: "api", subject: "s", now: NOW + 190 });
    expect(await verify.verify(past)).toMatchObject({ ok: false, reason: "discovery_unavailable" });
  });
});
