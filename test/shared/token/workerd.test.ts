// The token stage in real workerd (Miniflare): every algorithm, the main refusals, and a cold
// isolate starting from KV-persisted or build-time preloaded keys instead of a JWKS fetch.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mintHmacToken, mintToken, startJwksServer, startWorker, unsignedToken, type JwksServer, type TestKey, type WorkerUnderTest } from "../../harness/index.ts";
import { ASYMMETRIC, AUDIENCE, ISSUER, SECRET, testKey } from "./fixtures.ts";
import { workerScript } from "./workerd/bundle.ts";

const now = () => Math.floor(Date.now() / 1000);

async function startTokenWorker(config: unknown, kv = false): Promise<WorkerUnderTest> {
  return startWorker({ script: await workerScript(), bindings: { TOKEN_CONFIG: JSON.stringify(config) }, kvNamespaces: kv ? ["JWKS_KV"] : [] });
}

function call(worker: WorkerUnderTest, token: string): Promise<Response> {
  return worker.fetch("/", { headers: { authorization: `Bearer ${token}` } });
}

describe("token verification in workerd", () => {
  let keys: TestKey[];
  let worker: WorkerUnderTest;
  beforeAll(async () => {
    keys = await Promise.all(ASYMMETRIC.map((alg) => testKey(alg)));
    worker = await startTokenWorker({
      issuers: [
        { issuer: ISSUER, audience: AUDIENCE, algorithms: ASYMMETRIC, jwks: { keys: keys.map((k) => k.publicJwk) } },
        { issuer: "svc", audience: AUDIENCE, algorithms: ["HS256"], secret: SECRET },
      ],
    });
  });
  afterAll(async () => {
    await worker?.stop();
  });

  for (const [index, alg] of ASYMMETRIC.entries()) {
    it(`verifies ${alg} and maps the principal`, async () => {
      const token = await mintToken(keys[index], { tenant: "acme", groups: ["admin"] }, { issuer: ISSUER, audience: AUDIENCE, subject: "alice", now: now() });
      const response = await call(worker, token);
      expect(response.status).toBe(200);
      const body = (await response.json()) as { mapped: { principal: unknown } };
      expect(body.mapped.principal).toEqual({ uid: { type: "User", id: "alice" }, attrs: { tenant: "acme", suspended: false }, parents: [{ type: "Role", id: "admin" }] });
    });
  }

  it("verifies HS256", async () => {
    const response = await call(worker, await mintHmacToken(SECRET, { iss: "svc", aud: AUDIENCE, sub: "svc-1" }, { now: now() }));
    expect(response.status).toBe(200);
  });

  it("refuses alg none with the generic RFC 6750 challenge", async () => {
    const response = await call(worker, unsignedToken({ alg: "none" }, { iss: ISSUER, aud: AUDIENCE, exp: now() + 60 }));
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ reason: "alg_not_allowed", field: "alg" });
    expect(response.headers.get("www-authenticate")).toBe('Bearer error="invalid_token", error_description="the access token is missing, invalid or expired"');
  });

  it("refuses an expired token", async () => {
    const token = await mintToken(keys[2], {}, { issuer: ISSUER, audience: AUDIENCE, now: now() - 1000, ttlSeconds: 60 });
    expect(await (await call(worker, token)).json()).toMatchObject({ reason: "expired", field: "exp" });
  });

  it("answers a repeated token from the cache", async () => {
    const token = await mintToken(keys[0], {}, { issuer: ISSUER, audience: AUDIENCE, subject: "bob", now: now() });
    await call(worker, token);
    expect(await (await call(worker, token)).json()).toMatchObject({ cache: { hit: true } });
  });
});

describe("cold isolates in workerd", () => {
  let key: TestKey;
  let server: JwksServer;
  beforeAll(async () => {
    key = await testKey("ES256");
    server = await startJwksServer([key.publicJwk]);
  });
  afterAll(async () => {
    await server.stop();
  });

  const remoteConfig = (extra: Record<string, unknown> = {}) => ({
    issuers: [{ issuer: ISSUER, audience: AUDIENCE, algorithms: ["ES256"], jwksUri: server.url, ...extra }],
  });

  it("fetches the JWKS from workerd and persists it to KV", async () => {
    const before = server.requests.length;
    const worker = await startTokenWorker(remoteConfig(), true);
    try {
      const response = await call(worker, await mintToken(key, {}, { issuer: ISSUER, audience: AUDIENCE, subject: "a", now: now() }));
      expect(response.status).toBe(200);
      expect(server.requests.length - before).toBe(1);
      const kv = await worker.kv("JWKS_KV");
      let stored: string | null = null;
      for (let i = 0; i < 20 && stored === null; i++) {
        stored = await kv.get(`gatehouse:jwks:${server.url}`);
        if (stored === null) await new Promise((resolve) => setTimeout(resolve, 25));
      }
      expect(JSON.parse(stored!).jwks.keys[0].kid).toBe(key.kid);
    } finally {
      await worker.stop();
    }
  });

  it("starts from KV-persisted keys without fetching", async () => {
    const worker = await startTokenWorker(remoteConfig(), true);
    try {
      const kv = await worker.kv("JWKS_KV");
      await kv.put(`gatehouse:jwks:${server.url}`, JSON.stringify({ jwks: { keys: [key.publicJwk] }, fetchedAtMs: Date.now() }));
      const before = server.requests.length;
      const response = await call(worker, await mintToken(key, {}, { issuer: ISSUER, audience: AUDIENCE, subject: "a", now: now() }));
      expect(response.status).toBe(200);
      expect(server.requests.length).toBe(before);
    } finally {
      await worker.stop();
    }
  });

  it("starts from build-time preloaded keys without fetching", async () => {
    const worker = await startTokenWorker(remoteConfig({ jwksPreload: { keys: [key.publicJwk] } }));
    try {
      const before = server.requests.length;
      const response = await call(worker, await mintToken(key, {}, { issuer: ISSUER, audience: AUDIENCE, subject: "a", now: now() }));
      expect(response.status).toBe(200);
      expect(server.requests.length).toBe(before);
    } finally {
      await worker.stop();
    }
  });
});
