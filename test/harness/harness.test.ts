import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLocalJWKSet, createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from "jose";
import { createTestKey, mintToken, pingRedis, startJwksServer, startRedisServer, startWorker } from "./index.ts";

describe("harness: redis-server", () => {
  it("spawns a real redis-server on a free port and stops it", async () => {
    const redis = await startRedisServer();
    expect(redis.port).toBeGreaterThan(0);
    expect(await pingRedis(redis.port)).toBe("+PONG");
    await redis.stop();
    await expect(pingRedis(redis.port)).rejects.toThrow();
  });
});

describe("harness: signed tokens", () => {
  for (const alg of ["RS256", "PS256", "ES256", "ES384", "EdDSA"] as const) {
    it(`mints a ${alg} token that verifies against its public JWK`, async () => {
      const key = await createTestKey(alg, `kid-${alg}`);
      const token = await mintToken(key, { tenant: "acme" }, { issuer: "https://idp.test", audience: "api", subject: "alice" });
      expect(decodeProtectedHeader(token)).toMatchObject({ alg, kid: `kid-${alg}` });
      const { payload } = await jwtVerify(token, createLocalJWKSet({ keys: [key.publicJwk] }), {
        issuer: "https://idp.test",
        audience: "api",
      });
      expect(payload).toMatchObject({ sub: "alice", tenant: "acme" });
      expect(payload.exp! - payload.iat!).toBe(300);
    });
  }
});

describe("harness: JWKS server", () => {
  let server: Awaited<ReturnType<typeof startJwksServer>>;
  beforeAll(async () => {
    server = await startJwksServer();
  });
  afterAll(() => server.stop());

  it("serves keys over real HTTP on loopback and counts requests", async () => {
    const key = await createTestKey("ES256");
    server.setKeys([key.publicJwk]);
    const token = await mintToken(key, {}, { audience: "api" });
    const { payload } = await jwtVerify(token, createRemoteJWKSet(new URL(server.url)), { audience: "api" });
    expect(payload.aud).toBe("api");
    expect(server.requests.length).toBe(1);
    expect(server.requests[0]).toEqual({ method: "GET", path: "/.well-known/jwks.json" });
  });

  it("answers 503 when down and garbage when asked", async () => {
    server.setMode("down");
    expect((await fetch(server.url)).status).toBe(503);
    server.setMode("garbage");
    await expect((await fetch(server.url)).json()).rejects.toThrow();
    server.setMode("ok");
  });
});

describe("harness: Worker in Miniflare", () => {
  it("runs a Worker in real workerd with a KV binding", async () => {
    const worker = await startWorker({
      script: `export default { async fetch(request, env) {
        const key = new URL(request.url).pathname.slice(1);
        return new Response(JSON.stringify({ value: await env.REVOCATIONS.get(key), runtime: navigator.userAgent }));
      } }`,
      kvNamespaces: ["REVOCATIONS"],
    });
    try {
      const kv = await worker.kv("REVOCATIONS");
      await kv.put("jti:abc", "1");
      const response = await worker.fetch("/jti:abc");
      expect(await response.json()).toEqual({ value: "1", runtime: "Cloudflare-Workers" });
    } finally {
      await worker.stop();
    }
  });
});
