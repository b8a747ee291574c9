// Issue #22: a request whose token, revocation answer and principal are cached is decided without an
// `await`. The proof used here: its audit line is already written when `authorize()` returns, which
// no code path that awaits anything could do. And the fast path must never outlive what the slow
// path would serve: an expired token, a revocation past `ttlMs`.
import { afterEach, describe, expect, it, vi } from "vitest";
import { frozenClock } from "../../../shared/clock/index.ts";
import { createMemoryStore, revoke } from "../../../shared/revocation/index.ts";
import { ISSUER, NOW_MS, examplePolicies, input, setup, viewer } from "./fixtures.ts";

const PATH = "/tenants/acme/orders/o-17";

async function fastPathEnv(ttlMs = 1000) {
  const clock = frozenClock(NOW_MS);
  const store = createMemoryStore();
  const env = await setup({ revocation: { store: { kind: "memory" }, ttlMs } }, { clock, revocationStore: store });
  return { ...env, clock, store };
}

/** Calls authorize and reports whether the decision was made before it returned (no microtask turn). */
async function decideCountingTurns(env: Awaited<ReturnType<typeof fastPathEnv>>, token: string) {
  const before = env.sink.records.length;
  const pending = env.authorize(input("GET", PATH, token));
  const synchronous = env.sink.records.length === before + 1;
  const decision = await pending;
  expect(env.sink.records.length).toBe(before + 1);
  return { decision, synchronous, line: env.sink.records[before] };
}

describe("fast path: a fully cached request", () => {
  it("is decided before authorize returns, with the same decision and audit facts as the first", async () => {
    const env = await fastPathEnv();
    const token = await env.token(viewer);
    const first = await decideCountingTurns(env, token);
    expect(first.synchronous).toBe(false);
    expect(first.line.cache.token_hit).toBe(false);
    const again = await decideCountingTurns(env, token);
    expect(again.synchronous).toBe(true);
    expect(again.decision).toMatchObject({ allow: true, reason: "allowed", principal: { type: "User", id: "vera", tenant: "acme" }, policies: ["viewers-read-orders"] });
    expect(again.decision.identityHeaders).toEqual(first.decision.identityHeaders && { ...first.decision.identityHeaders, "x-gatehouse-decision-id": again.decision.decisionId });
    expect(again.line).toMatchObject({ decision: "allow", principal: { type: "User", id: "vera", iss: ISSUER }, reasons: ["viewers-read-orders"], cache: { token_hit: true } });
    expect(again.line.revocation).toMatchObject({ checked: true, cached: true, outcome: "not_revoked" });
  });

  it("takes the slow path again once the revocation answer is no longer fresh", async () => {
    const env = await fastPathEnv(1000);
    const token = await env.token(viewer);
    await decideCountingTurns(env, token);
    env.clock.advance(999);
    expect((await decideCountingTurns(env, token)).synchronous).toBe(true);
    env.clock.advance(1);
    const slow = await decideCountingTurns(env, token);
    expect(slow.synchronous).toBe(false);
    expect(slow.decision.allow).toBe(true);
    expect((await decideCountingTurns(env, token)).synchronous).toBe(true);
  });

  it("sees a revocation written to the store within ttlMs while the fast path is in use", async () => {
    const env = await fastPathEnv(1000);
    const token = await env.token(viewer, { ttlSeconds: 3600 });
    await decideCountingTurns(env, token);
    env.clock.advance(300);
    await revoke(env.store, { iss: ISSUER, sub: "vera", before: Math.floor(NOW_MS / 1000) + 1 }, { clock: env.clock });
    const revokedAt = env.clock.now();
    let fastAfterRevoke = 0;
    let denied: Awaited<ReturnType<typeof decideCountingTurns>> | undefined;
    while (denied === undefined && env.clock.now() - revokedAt <= 5000) {
      const result = await decideCountingTurns(env, token);
      if (!result.decision.allow) denied = result;
      else {
        if (result.synchronous) fastAfterRevoke++;
        env.clock.advance(50);
      }
    }
    expect(fastAfterRevoke).toBeGreaterThan(0);
    expect(denied?.decision).toMatchObject({ status: 401, reason: "revoked" });
    expect(env.clock.now() - revokedAt).toBeLessThanOrEqual(1000);
  });

  it("never serves an expired token", async () => {
    const env = await fastPathEnv(60_000);
    const token = await env.token(viewer, { ttlSeconds: 2 });
    await decideCountingTurns(env, token);
    env.clock.advance(1000);
    expect((await decideCountingTurns(env, token)).synchronous).toBe(true);
    // past exp plus the issuer's default clock tolerance
    env.clock.advance(120_000);
    const expired = await decideCountingTurns(env, token);
    expect(expired.decision).toMatchObject({ allow: false, status: 401, reason: "expired" });
  });

  // The path, route and request stages remember their last answer (issue #22): consecutive requests
  // that change the tenant, the order or the method must each be decided on their own path
  it("decides each of alternating paths and methods on its own, repeated or not", async () => {
    const env = await fastPathEnv();
    const token = await env.token(viewer);
    await decideCountingTurns(env, token);
    const cases: [string, string, boolean, string | null][] = [
      ["GET", "/tenants/acme/orders/o-17", true, 'Order::"acme/o-17"'],
      ["GET", "/tenants/acme/orders/o-17", true, 'Order::"acme/o-17"'],
      ["GET", "/tenants/globex/orders/o-17", false, 'Order::"globex/o-17"'],
      ["GET", "/tenants/acme/orders/o-18", true, 'Order::"acme/o-18"'],
      ["DELETE", "/tenants/acme/orders/o-18", false, null],
      ["GET", "/tenants/acme/orders/o-18", true, 'Order::"acme/o-18"'],
      ["GET", "/tenants/globex/orders/o-18", false, 'Order::"globex/o-18"'],
      ["GET", "/tenants/globex/orders/o-18", false, 'Order::"globex/o-18"'],
      ["GET", "/tenants/acme/orders/o-17", true, 'Order::"acme/o-17"'],
    ];
    for (const [method, path, allow, resource] of cases) {
      const before = env.sink.records.length;
      const decision = await env.authorize(input(method, path, token));
      const line = env.sink.records[before];
      expect({ method, path, allow: decision.allow }).toEqual({ method, path, allow });
      expect(line.path).toBe(path);
      expect(line.method).toBe(method);
      if (resource !== null) expect(line.resource).toBe(resource);
    }
  });
});

// The stage timings come from `performance.now()`, one read per boundary; the total of a request the
// decision stage ended is the policies' end time (that stage only compares), not one more read
describe("fast path: latency of a cached request", () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  // Each read is one ms after the last, so the line's figures show which reads were taken where
  async function timedAgain(env: Awaited<ReturnType<typeof setup>>, token: string | undefined, path = PATH) {
    await env.authorize(input("GET", path, token));
    let reads = 0;
    vi.spyOn(performance, "now").mockImplementation(() => ++reads);
    const before = env.sink.records.length;
    await env.authorize(input("GET", path, token));
    vi.restoreAllMocks();
    return { reads, latency: env.sink.records[before].latency_us };
  }

  it("reads the clock five times: start, token, policies, and takes the total from the policies' end", async () => {
    const env = await fastPathEnv();
    const allowed = await timedAgain(env, await env.token(viewer));
    expect(allowed).toEqual({ reads: 5, latency: { total: 4000, verify: 1000, revocation: 0, eval: 1000 } });
    // a policy deny ends in the decision stage too
    const denied = await timedAgain(env, await env.token(viewer), "/tenants/globex/orders/o-17");
    expect(denied).toEqual({ reads: 5, latency: { total: 4000, verify: 1000, revocation: 0, eval: 1000 } });
  });

  it("reads the clock for the total after a shadow set's evaluation", async () => {
    const env = await setup({ revocation: { store: { kind: "memory" }, ttlMs: 1000 } }, { shadowPolicies: await examplePolicies() });
    const shadowed = await timedAgain(env, await env.token(viewer));
    expect(shadowed).toEqual({ reads: 6, latency: { total: 5000, verify: 1000, revocation: 0, eval: 1000 } });
  });

  it("reads the clock for the total of a request refused before the policies", async () => {
    const env = await fastPathEnv();
    expect(await timedAgain(env, undefined)).toEqual({ reads: 2, latency: { total: 1000, verify: null, revocation: null, eval: null } });
  });
});
