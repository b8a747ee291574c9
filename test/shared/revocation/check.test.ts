import { describe, expect, it } from "vitest";
import { frozenClock } from "../../../shared/clock/index.ts";
import { ConfigError } from "../../../shared/errors.ts";
import {
  createMemoryStore,
  createRevocationChecker,
  revocationKey,
  revoke,
  unrevoke,
  type RevocationConfig,
} from "../../../shared/revocation/index.ts";
import { withFaults } from "./_faulty-store.ts";

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);
const NOW_S = T0 / 1000;
const ISS = "https://idp.example";

function setup(overrides: Partial<RevocationConfig> = {}) {
  const clock = frozenClock(T0);
  const memory = createMemoryStore();
  const { store, state } = withFaults(memory);
  const checker = createRevocationChecker({ store: { kind: "memory" }, ...overrides }, { store, clock });
  return { clock, memory, store, state, checker };
}

function token(overrides: Record<string, unknown> = {}) {
  return { iss: ISS, sub: "alice", jti: "tok-1", sid: "sess-1", client_id: "web", iat: NOW_S - 60, exp: NOW_S + 240, ...overrides };
}

describe("check: answers", () => {
  it("allows a token nothing revokes, asking the store once for all its keys", async () => {
    const { checker, state } = setup();
    const result = await checker.check(token());
    expect(result).toMatchObject({ allow: true, outcome: "not_revoked", cached: false });
    expect(result.reason).toBeUndefined();
    expect(state.calls).toHaveLength(1);
    expect(state.calls[0].keys).toEqual([
      revocationKey("jti", ISS, "tok-1"),
      revocationKey("sub", ISS, "alice"),
      revocationKey("sid", ISS, "sess-1"),
      revocationKey("client", ISS, "web"),
    ]);
  });

  it("denies a revoked jti with reason `revoked` and revokedBy `jti`", async () => {
    const { checker, memory, clock } = setup();
    await revoke(memory, { iss: ISS, jti: "tok-1", exp: NOW_S + 240 }, { clock });
    expect(await checker.check(token())).toMatchObject({ allow: false, outcome: "revoked", reason: "revoked", revokedBy: "jti" });
    expect((await checker.check(token({ jti: "tok-2" }))).allow).toBe(true);
  });

  it("denies every token of a subject issued before the revocation, and allows later ones", async () => {
    const { checker, memory, clock } = setup();
    await revoke(memory, { iss: ISS, sub: "alice" }, { clock });
    expect(await checker.check(token({ jti: "a", iat: NOW_S - 3600 }))).toMatchObject({ allow: false, revokedBy: "sub" });
    // iat has one-second resolution: a token minted in the revocation's own second is covered too
    expect(await checker.check(token({ jti: "b", iat: NOW_S }))).toMatchObject({ allow: false, revokedBy: "sub" });
    expect(await checker.check(token({ jti: "c", iat: NOW_S + 1 }))).toMatchObject({ allow: true, outcome: "not_revoked" });
  });

  it("honours an explicit `before` for a subject", async () => {
    const { checker, memory, clock } = setup();
    await revoke(memory, { iss: ISS, sub: "alice", before: NOW_S - 100 }, { clock });
    expect((await checker.check(token({ jti: "a", iat: NOW_S - 101 }))).revokedBy).toBe("sub");
    expect((await checker.check(token({ jti: "b", iat: NOW_S - 100 }))).allow).toBe(true);
  });

  it("denies tokens of a revoked session with revokedBy `sid`", async () => {
    const { checker, memory, clock } = setup();
    await revoke(memory, { iss: ISS, sid: "sess-1" }, { clock });
    expect(await checker.check(token())).toMatchObject({ allow: false, reason: "revoked", revokedBy: "sid" });
    expect((await checker.check(token({ jti: "x", sid: "sess-2" }))).allow).toBe(true);
  });

  it("denies tokens of a revoked client with revokedBy `client`", async () => {
    const { checker, memory, clock } = setup();
    await revoke(memory, { iss: ISS, clientId: "web" }, { clock });
    expect(await checker.check(token())).toMatchObject({ allow: false, reason: "revoked", revokedBy: "client" });
    expect((await checker.check(token({ jti: "x", client_id: "cli" }))).allow).toBe(true);
  });

  it("accepts numeric identifiers, as the CLI writes them as text", async () => {
    const { checker, memory, clock } = setup();
    await revoke(memory, { iss: ISS, clientId: "1234" }, { clock });
    expect(await checker.check(token({ client_id: 1234 }))).toMatchObject({ allow: false, revokedBy: "client" });
  });

  it("allows a token with no jti, sub, sid or client_id without asking the store", async () => {
    const { checker, state } = setup();
    expect(await checker.check({ iss: ISS, iat: NOW_S })).toMatchObject({ allow: true, outcome: "not_revoked" });
    expect(state.calls).toHaveLength(0);
  });

  it("reads tokens without `iss` under the empty issuer", async () => {
    const { checker, memory, clock } = setup();
    await revoke(memory, { iss: "", jti: "tok-1" }, { clock });
    expect((await checker.check({ jti: "tok-1", iat: NOW_S })).revokedBy).toBe("jti");
  });
});

describe("check: invalid claims", () => {
  for (const claim of ["jti", "sub", "sid", "client_id", "iss"] as const) {
    it(`denies with \`invalid_claim\` when \`${claim}\` is neither a string nor a number`, async () => {
      const { checker, state } = setup();
      const result = await checker.check(token({ [claim]: { nested: true } }));
      expect(result).toMatchObject({ allow: false, outcome: "invalid_claim", reason: "invalid_claim", field: claim });
      expect(state.calls).toHaveLength(0);
    });
  }
});

describe("check: caching", () => {
  it("answers a repeated token from the cache, without a store call", async () => {
    const { checker, state } = setup();
    await checker.check(token());
    const second = await checker.check(token());
    expect(second).toMatchObject({ allow: true, cached: true });
    expect(state.calls).toHaveLength(1);
  });

  it("enforces a revocation once `ttlMs` has passed, not before", async () => {
    const { checker, memory, clock } = setup({ ttlMs: 5000 });
    expect((await checker.check(token())).allow).toBe(true);
    await revoke(memory, { iss: ISS, jti: "tok-1", exp: NOW_S + 240 }, { clock });
    clock.advance(4999);
    expect((await checker.check(token())).allow).toBe(true);
    clock.advance(1);
    expect(await checker.check(token())).toMatchObject({ allow: false, revokedBy: "jti", cached: false });
  });

  it("with `ttlMs: 0` asks the store on every request", async () => {
    const { checker, state } = setup({ ttlMs: 0 });
    await checker.check(token());
    await checker.check(token());
    expect(state.calls).toHaveLength(2);
  });

  it("keeps a revoked answer past `ttlMs`, until the entry would expire", async () => {
    const { checker, memory, clock, state } = setup({ ttlMs: 1000 });
    await revoke(memory, { iss: ISS, jti: "tok-1", exp: NOW_S + 240 }, { clock });
    expect((await checker.check(token())).allow).toBe(false);
    await unrevoke(memory, { iss: ISS, jti: "tok-1" });
    clock.advance(200_000);
    expect(await checker.check(token())).toMatchObject({ allow: false, cached: true });
    expect(state.calls).toHaveLength(1);
  });

  it("asks only for the keys it does not know", async () => {
    const { checker, state } = setup();
    await checker.check(token());
    await checker.check(token({ jti: "tok-2" }));
    expect(state.calls[1].keys).toEqual([revocationKey("jti", ISS, "tok-2")]);
  });

  it("shares a subject's answer between its tokens, and still sees a newer `before`", async () => {
    const { checker, memory, clock } = setup({ ttlMs: 1000 });
    await revoke(memory, { iss: ISS, sub: "alice", before: NOW_S - 1000 }, { clock });
    expect((await checker.check(token({ jti: "a", iat: NOW_S - 500 }))).allow).toBe(true);
    await revoke(memory, { iss: ISS, sub: "alice", before: NOW_S - 100 }, { clock });
    clock.advance(1000);
    expect((await checker.check(token({ jti: "b", iat: NOW_S - 500 }))).revokedBy).toBe("sub");
  });

  it("drops the least recently used key beyond `cacheMaxEntries`", async () => {
    const { checker, state } = setup({ cacheMaxEntries: 4 });
    const only = (jti: string) => ({ iss: ISS, jti, iat: NOW_S });
    await checker.check(only("a"));
    await checker.check(only("b"));
    await checker.check(only("a")); // a is now the most recent
    await checker.check(only("c")); // evicts b
    await checker.check(only("a"));
    expect(state.calls.map((c) => c.keys[0].split(":").pop())).toEqual(["a", "b", "c"]);
    await checker.check(only("b"));
    expect(state.calls).toHaveLength(4);
  });

  it("forgets everything on `clearCache`", async () => {
    const { checker, state } = setup();
    await checker.check(token());
    checker.clearCache();
    await checker.check(token());
    expect(state.calls).toHaveLength(2);
  });
});

describe("check: store failures and fail modes", () => {
  for (const [fault, storeError] of [
    ["reject", "connection"],
    ["throw", "connection"],
    ["garbage", "bad_reply"],
    ["hang", "timeout"],
  ] as const) {
    it(`fails closed by default when the store does \`${fault}\` (storeError \`${storeError}\`)`, async () => {
      const { checker, state } = setup({ deadlineMs: 20 });
      state.fault = fault;
      expect(await checker.check(token())).toMatchObject({
        allow: false,
        outcome: "store_error",
        reason: "revocation_unavailable",
        failModeUsed: "closed",
        storeError,
        cached: false,
      });
    });
  }

  it("fails open when the route says `open`, and says so in the result", async () => {
    const { checker, state } = setup();
    state.fault = "reject";
    const result = await checker.check(token(), "open");
    expect(result).toMatchObject({ allow: true, outcome: "store_error", failModeUsed: "open", storeError: "connection" });
    expect(result.reason).toBeUndefined();
  });

  it("with `stale`, reuses the last answer within `maxStaleMs` after it went stale", async () => {
    const { checker, state, clock } = setup({ ttlMs: 1000, maxStaleMs: 10_000 });
    await checker.check(token());
    state.fault = "reject";
    clock.advance(1000 + 9_999);
    expect(await checker.check(token(), "stale")).toMatchObject({ allow: true, outcome: "not_revoked", cached: true, failModeUsed: "stale", storeError: "connection" });
  });

  it("denies from a cached subject revocation while the store is down, in any fail mode", async () => {
    const { checker, state, clock, memory } = setup({ ttlMs: 1000 });
    await revoke(memory, { iss: ISS, sub: "alice", before: NOW_S - 100 }, { clock });
    await checker.check(token({ iat: NOW_S - 50 })); // caches the sub entry; it does not revoke this token
    state.fault = "reject";
    clock.advance(2000);
    expect(await checker.check(token({ jti: "old", iat: NOW_S - 200 }), "open")).toMatchObject({ allow: false, outcome: "revoked", revokedBy: "sub", cached: true });
    expect(state.calls).toHaveLength(1);
    // the known token is served stale; a new token's jti was never cached, so stale falls back to closed
    expect(await checker.check(token({ iat: NOW_S - 50 }), "stale")).toMatchObject({ allow: true, failModeUsed: "stale" });
    expect(await checker.check(token({ jti: "new", iat: NOW_S - 50 }), "stale")).toMatchObject({ allow: false, failModeUsed: "closed" });
  });

  it("with `stale`, falls back to closed once the answer is older than `maxStaleMs`", async () => {
    const { checker, state, clock } = setup({ ttlMs: 1000, maxStaleMs: 10_000 });
    await checker.check(token());
    state.fault = "reject";
    clock.advance(1000 + 10_000);
    expect(await checker.check(token(), "stale")).toMatchObject({ allow: false, reason: "revocation_unavailable", failModeUsed: "closed" });
  });

  it("with `stale`, falls back to closed when nothing was cached", async () => {
    const { checker, state } = setup();
    state.fault = "reject";
    expect(await checker.check(token(), "stale")).toMatchObject({ allow: false, reason: "revocation_unavailable", failModeUsed: "closed" });
  });

  it("answers within the deadline when the store hangs, and aborts the store's signal", async () => {
    const { checker, state } = setup({ deadlineMs: 30 });
    state.fault = "hang";
    const started = performance.now();
    // a plain timer of the same length, late by the same event-loop lag on a loaded machine
    const reference = new Promise<number>((resolve) => setTimeout(() => resolve(performance.now() - started), 30));
    const result = await checker.check(token());
    const elapsed = performance.now() - started;
    expect(result.storeError).toBe("timeout");
    expect(elapsed).toBeGreaterThanOrEqual(25);
    expect(elapsed).toBeLessThan(Math.max(await reference, 30) + 20);
    expect(state.calls[0].signal.aborted).toBe(true);
  });

  it("leaves no unhandled rejection when the store fails after the deadline", async () => {
    const { checker, state } = setup({ deadlineMs: 10 });
    state.fault = "slow";
    state.slowMs = 40;
    expect((await checker.check(token())).storeError).toBe("timeout");
    await new Promise((r) => setTimeout(r, 80));
    expect(state.lateRejections).toBe(1); // vitest fails the run on any unhandled rejection
  });

  it("recovers as soon as the store answers again", async () => {
    const { checker, state } = setup();
    state.fault = "reject";
    expect((await checker.check(token())).allow).toBe(false);
    state.fault = "none";
    expect(await checker.check(token())).toMatchObject({ allow: true, outcome: "not_revoked" });
  });
});

describe("check: circuit breaker", () => {
  it("opens after `failureThreshold` consecutive failures and then makes no store call", async () => {
    const { checker, state } = setup({ breaker: { failureThreshold: 3, cooldownMs: 1000 } });
    state.fault = "reject";
    for (let i = 0; i < 3; i++) await checker.check(token());
    expect(checker.breakerState()).toBe("open");
    state.fault = "hang";
    const started = performance.now();
    const result = await checker.check(token(), "closed");
    expect(performance.now() - started).toBeLessThan(15);
    expect(result).toMatchObject({ allow: false, storeError: "breaker_open", failModeUsed: "closed" });
    expect(state.calls).toHaveLength(3);
  });

  it("applies the fail mode while open", async () => {
    const { checker, state } = setup({ breaker: { failureThreshold: 1, cooldownMs: 1000 } });
    state.fault = "reject";
    await checker.check(token());
    expect(await checker.check(token(), "open")).toMatchObject({ allow: true, failModeUsed: "open", storeError: "breaker_open" });
  });

  it("lets one probe through after the cooldown and closes when it succeeds", async () => {
    const { checker, state, clock } = setup({ breaker: { failureThreshold: 1, cooldownMs: 1000 } });
    state.fault = "reject";
    await checker.check(token());
    clock.advance(1000);
    expect(checker.breakerState()).toBe("half_open");
    state.fault = "none";
    expect((await checker.check(token())).allow).toBe(true);
    expect(checker.breakerState()).toBe("closed");
    expect(state.calls).toHaveLength(2);
  });

  it("reopens for another cooldown when the probe fails", async () => {
    const { checker, state, clock } = setup({ breaker: { failureThreshold: 2, cooldownMs: 1000 } });
    state.fault = "reject";
    await checker.check(token());
    await checker.check(token());
    clock.advance(1000);
    await checker.check(token());
    expect(checker.breakerState()).toBe("open");
    expect(state.calls).toHaveLength(3);
    clock.advance(999);
    await checker.check(token());
    expect(state.calls).toHaveLength(3);
  });

  it("sends a single probe while half-open, however many requests arrive", async () => {
    const { checker, state, clock } = setup({ deadlineMs: 30, breaker: { failureThreshold: 1, cooldownMs: 1000 } });
    state.fault = "reject";
    await checker.check(token());
    clock.advance(1000);
    state.fault = "hang";
    const results = await Promise.all([checker.check(token()), checker.check(token()), checker.check(token())]);
    expect(state.calls).toHaveLength(2);
    expect(results.map((r) => r.storeError).sort()).toEqual(["breaker_open", "breaker_open", "timeout"]);
  });

  it("does not count cache hits as successes or failures", async () => {
    const { checker, state } = setup({ breaker: { failureThreshold: 2, cooldownMs: 1000 } });
    await checker.check(token());
    state.fault = "reject";
    await checker.check(token({ jti: "x" }));
    await checker.check(token()); // cache hit
    await checker.check(token({ jti: "y" }));
    expect(checker.breakerState()).toBe("open");
  });
});

describe("check: security", () => {
  it("qualifies subjects by issuer: a revocation at one issuer does not touch another's `alice`", async () => {
    const { checker, memory, clock } = setup();
    await revoke(memory, { iss: "https://other.example", sub: "alice" }, { clock });
    expect((await checker.check(token())).allow).toBe(true);
  });

  it("cannot be confused by a `:` inside the issuer or the identifier", async () => {
    const { checker, memory, clock } = setup();
    await revoke(memory, { iss: "a:b", sub: "c" }, { clock });
    expect((await checker.check({ iss: "a", sub: "b:c", iat: NOW_S - 10 })).allow).toBe(true);
    expect((await checker.check({ iss: "a:b", sub: "c", iat: NOW_S - 10 })).allow).toBe(false);
  });

  it("treats a subject entry that is not a time as revoking every token", async () => {
    const { checker, memory } = setup();
    await memory.put(revocationKey("sub", ISS, "alice"), "garbage", NOW_S + 100);
    expect((await checker.check(token({ iat: NOW_S + 50 }))).revokedBy).toBe("sub");
  });

  it("treats a token without a numeric `iat` as issued before any subject revocation", async () => {
    const { checker, memory, clock } = setup();
    await revoke(memory, { iss: ISS, sub: "alice", before: NOW_S - 10_000 }, { clock });
    expect((await checker.check(token({ iat: undefined }))).revokedBy).toBe("sub");
    expect((await checker.check(token({ jti: "z", iat: "1" }))).revokedBy).toBe("sub");
  });

  it("never refuses by exception: a checker whose store throws still answers", async () => {
    const { checker, state } = setup();
    state.fault = "throw";
    await expect(checker.check(token())).resolves.toMatchObject({ allow: false, reason: "revocation_unavailable" });
  });

  it("does not put the token's claims into errors or results beyond the reason", async () => {
    const { checker, state } = setup();
    state.fault = "reject";
    const result = await checker.check(token({ sub: "secret-subject" }));
    expect(JSON.stringify(result)).not.toContain("secret-subject");
  });
});

describe("check: setup", () => {
  it("throws ConfigError at creation for a bad option, naming it", () => {
    expect(() => createRevocationChecker({ store: { kind: "memory" }, deadlineMs: 0 })).toThrow(ConfigError);
    try {
      createRevocationChecker({ store: { kind: "memory" }, deadlineMs: 0 });
    } catch (error) {
      expect((error as ConfigError).field).toBe("revocation.deadlineMs");
    }
  });

  it("needs a store from the adapter for any kind but memory", () => {
    expect(() => createRevocationChecker({ store: { kind: "redis", url: "redis://127.0.0.1:1" } })).toThrow(/must be built by the adapter/);
  });

  it("builds its own memory store when none is passed", async () => {
    const checker = createRevocationChecker({ store: { kind: "memory" } });
    expect(checker.store.name).toBe("memory");
    expect((await checker.check(token())).allow).toBe(true);
  });
});
