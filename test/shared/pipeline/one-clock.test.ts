// One clock per authorizer (issue #14): every component that reads time inside `createAuthorizer`
// (token checks, the verified-token cache, the JWKS cache, the revocation cache and breaker, the audit
// line) reads the clock the authorizer was given, and a store judges expiry by the time the checker
// hands it (stores hold no clock). The system clock is moved 30 years
// away from that clock, ahead and behind, so any component that quietly reads `Date.now()` or
// `new Date()` gives itself away: a token expired or not yet valid, a revocation entry expired or
// immortal, a cache or breaker that never or always expires, an audit time that is not the clock's.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { memorySink } from "../../../shared/audit/index.ts";
import { frozenClock } from "../../../shared/clock/index.ts";
import { createAuthorizer, type GatehouseConfig } from "../../../shared/pipeline/index.ts";
import { createMemoryStore, revoke, type RevocationStore } from "../../../shared/revocation/index.ts";
import { createJwksRegistry } from "../../../shared/token/index.ts";
import { createTestKey, mintToken, startJwksServer, type JwksServer, type TestKey } from "../../harness/index.ts";
import { AUDIENCE, examplePolicies, exampleRoutes, input, ISSUER, NOW_MS, viewer } from "./fixtures.ts";

const YEAR_MS = 365.25 * 24 * 3600 * 1000;
const ORDER = "/tenants/acme/orders/o-17";

let key: TestKey;
let jwks: JwksServer;
beforeAll(async () => {
  key = await createTestKey("ES256");
  jwks = await startJwksServer([key.publicJwk]);
});
afterAll(() => jwks.stop());

function config(overrides: Partial<GatehouseConfig> = {}): GatehouseConfig {
  return {
    token: { issuers: [{ issuer: ISSUER, audience: AUDIENCE, algorithms: ["ES256"], jwksUri: jwks.url, jwksCacheSeconds: 10, jwksCooldownMs: 1000 }] },
    routes: exampleRoutes,
    revocation: { store: { kind: "memory" }, ttlMs: 1000, breaker: { failureThreshold: 1, cooldownMs: 1000 } },
    ...overrides,
  };
}

async function build(options: { store?: RevocationStore; config?: Partial<GatehouseConfig> } = {}) {
  const clock = frozenClock(NOW_MS);
  const sink = memorySink();
  const authorize = createAuthorizer(config(options.config), {
    policies: await examplePolicies(),
    clock,
    auditSink: sink,
    jwksRegistry: createJwksRegistry(),
    ...(options.store ? { revocationStore: options.store } : {}),
  });
  // Tokens are minted on the authorizer's clock, never the system's
  const token = (claims: Record<string, unknown>, ttlSeconds = 300) =>
    mintToken(key, { ...claims, jti: crypto.randomUUID() }, { issuer: ISSUER, audience: AUDIENCE, now: clock.now() / 1000, ttlSeconds });
  const decide = (token: string) => authorize(input("GET", ORDER, token));
  return { clock, sink, authorize, token, decide };
}

for (const [direction, offsetMs] of [["ahead", 30 * YEAR_MS], ["behind", -30 * YEAR_MS]] as const) {
  describe(`one clock per authorizer: the system clock 30 years ${direction}`, () => {
    beforeEach(() => {
      vi.useFakeTimers({ toFake: ["Date"], now: NOW_MS + offsetMs });
    });
    afterEach(() => {
      vi.useRealTimers();
    });

    it("token checks and the audit time follow the authorizer's clock", async () => {
      const env = await build();
      expect(await env.decide(await env.token(viewer))).toMatchObject({ allow: true, reason: "allowed" });
      expect(env.sink.records.at(-1)?.time).toBe(new Date(NOW_MS).toISOString());
    });

    it("the verified-token cache expires a token by the authorizer's clock", async () => {
      const env = await build();
      const token = await env.token(viewer, 60);
      expect((await env.decide(token)).allow).toBe(true);
      env.clock.advance(59_000);
      expect(await env.decide(token)).toMatchObject({ allow: true });
      env.clock.advance(31_001 + 1000); // past exp and the 30 s clock tolerance
      expect(await env.decide(token)).toMatchObject({ allow: false, reason: "expired" });
    });

    it("the JWKS cache refreshes by the authorizer's clock", async () => {
      const env = await build();
      // Earlier tests' background refreshes (stale-while-revalidate, #21) may still be reaching the shared endpoint
      for (let seen = -1; seen !== jwks.requests.length; ) {
        seen = jwks.requests.length;
        await new Promise((r) => setTimeout(r, 30));
      }
      const before = jwks.requests.length;
      expect((await env.decide(await env.token(viewer))).allow).toBe(true);
      env.clock.advance(9_000);
      expect((await env.decide(await env.token(viewer))).allow).toBe(true);
      expect(jwks.requests.length - before).toBe(1);
      env.clock.advance(2_000);
      expect((await env.decide(await env.token(viewer))).allow).toBe(true);
      // Stale-while-revalidate (#21): the due request is answered from the cached keys and starts the
      // refresh behind it, which reaches the endpoint a moment later
      for (let waited = 0; jwks.requests.length - before < 2 && waited < 2000; waited += 5) await new Promise((r) => setTimeout(r, 5));
      expect(jwks.requests.length - before).toBe(2);
    });

    it("a caller's store, revoked on the caller's clock, denies within ttlMs and holds the entry for its lifetime", async () => {
      const store = createMemoryStore();
      const env = await build({ store });
      const token = await env.token(viewer, 3600);
      expect((await env.decide(token)).allow).toBe(true);
      await revoke(store, { iss: ISSUER, sub: viewer.sub }, { clock: env.clock });
      // Cached "not revoked" is served for ttlMs (1 s) by the authorizer's clock, then the store is asked
      env.clock.advance(999);
      expect((await env.decide(token)).allow).toBe(true);
      env.clock.advance(1);
      expect(await env.decide(token)).toMatchObject({ allow: false, reason: "revoked" });
      // The entry lives a day past its `before` by the same clock: still revoked an hour on
      env.clock.advance(3_000_000);
      expect(await env.decide(token)).toMatchObject({ allow: false, reason: "revoked" });
    });

    it("the revocation breaker cools down by the authorizer's clock", async () => {
      let calls = 0;
      const failing: RevocationStore = {
        name: "failing",
        getMany: () => (calls++, Promise.reject(new Error("down"))),
        put: async () => {},
        delete: async () => {},
        list: async () => [],
      };
      const env = await build({ store: failing });
      const token = await env.token(viewer);
      expect(await env.decide(token)).toMatchObject({ status: 503, reason: "revocation_unavailable" });
      expect(calls).toBe(1);
      env.clock.advance(999);
      expect((await env.decide(token)).status).toBe(503);
      expect(calls).toBe(1); // open: not asked
      env.clock.advance(1);
      expect((await env.decide(token)).status).toBe(503);
      expect(calls).toBe(2); // cooled down: one probe
    });

    it("a key-set registry serves one clock: a verifier with another clock is refused", async () => {
      const deps = { policies: await examplePolicies(), auditSink: memorySink(), jwksRegistry: createJwksRegistry() };
      createAuthorizer(config(), { ...deps, clock: frozenClock(NOW_MS) });
      expect(() => createAuthorizer(config(), { ...deps, clock: frozenClock(NOW_MS) })).toThrow(/jwksRegistry/);
    });
  });
}
