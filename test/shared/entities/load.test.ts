import { describe, expect, it } from "vitest";
import { frozenClock } from "../../../shared/clock/index.ts";
import { createEntityLoader, entityStoreKey, NO_EXPIRY_SECONDS, resolveEntitiesConfig, storeEntitySource, type EntitiesConfig, type EntityLoadResult, type EntityShapes } from "../../../shared/entities/index.ts";
import { memoryStore } from "../../../shared/revocation/stores/memory.ts";
import { withFaults } from "../revocation/_faulty-store.ts";

const NOW = Date.UTC(2026, 10, 22, 10, 0, 0);
const SHAPES: EntityShapes = {
  User: { memberOf: ["Role"], attrs: { tenant: { type: "String", required: true }, suspended: { type: "Bool", required: false } } },
  Role: { memberOf: ["Role"], attrs: {} },
  Order: { memberOf: [], attrs: { tenant: { type: "String", required: true }, owner: { type: { entity: "User" }, required: false } } },
};
const STATIC = new Set(['Role::"admin"']);

function setup(options: Partial<EntitiesConfig> = {}, shapes: EntityShapes | null = SHAPES) {
  const clock = frozenClock(NOW);
  const inner = memoryStore.create({}, { env: {} });
  const faulty = withFaults(inner);
  const config = resolveEntitiesConfig({ source: { kind: "memory" }, ...options });
  const loader = createEntityLoader(config, { source: storeEntitySource(faulty.store), clock, shapes, isStatic: (type, id) => STATIC.has(`${type}::"${id}"`) });
  const put = (uid: string, record: unknown) => inner.put(entityStoreKey(uid), typeof record === "string" ? record : JSON.stringify(record), NO_EXPIRY_SECONDS);
  return { clock, inner, faulty, loader, put };
}

const alice = { type: "User", id: "alice" };
const order = { type: "Order", id: "acme/o-1" };
const aliceRecord = { uid: alice, attrs: { tenant: "acme" }, parents: [{ type: "Role", id: "editor" }] };

describe("entity loader: reading and caching", () => {
  it("reads the principal and resource in one round trip, then their parents, and answers from cache afterwards", async () => {
    const { loader, put, faulty } = setup();
    await put('User::"alice"', aliceRecord);
    await put('Role::"editor"', { uid: { type: "Role", id: "editor" }, attrs: {}, parents: [{ type: "Role", id: "admin" }] });
    const first = await loader.load([alice, order], "closed");
    expect(first.ok).toBe(true);
    if (!first.ok) return;
    expect(first.records.map((r) => r.uid)).toEqual([alice, { type: "Role", id: "editor" }]);
    expect(first.loaded).toEqual([
      { uid: 'User::"alice"', source: "store", ageMs: 0 },
      { uid: 'Order::"acme/o-1"', source: "absent", ageMs: 0 },
      { uid: 'Role::"editor"', source: "store", ageMs: 0 },
      { uid: 'Role::"admin"', source: "static", ageMs: 0 },
    ]);
    expect(faulty.state.calls.map((c) => c.keys)).toEqual([['gh:en:User::"alice"', 'gh:en:Order::"acme/o-1"'], ['gh:en:Role::"editor"']]);
    const again = loader.loadCached([alice, order]);
    expect(again?.ok).toBe(true);
    expect(again?.ok && again.version).toBe(first.version);
    expect(faulty.state.calls).toHaveLength(2);
  });

  it("keeps a record for the type's TTL, an absent one for the negative TTL", async () => {
    const { loader, put, clock, faulty } = setup({ ttlMs: { User: 2000, "*": 5000 }, negativeTtlMs: 500 });
    await put('User::"alice"', { uid: alice, attrs: { tenant: "acme" } });
    await loader.load([alice, order], "closed");
    clock.advance(600);
    // The absent order is stale after 500 ms: the cached path cannot answer
    expect(loader.loadCached([alice, order])).toBeUndefined();
    expect(loader.loadCached([alice])?.ok).toBe(true);
    clock.advance(1500);
    expect(loader.loadCached([alice])).toBeUndefined();
    await loader.load([alice], "closed");
    expect(faulty.state.calls).toHaveLength(2);
  });

  it("reports the age of a cached record", async () => {
    const { loader, put, clock } = setup();
    await put('User::"alice"', { uid: alice, attrs: { tenant: "acme" } });
    await loader.load([alice], "closed");
    clock.advance(1234);
    const cached = loader.loadCached([alice]);
    expect(cached?.loaded).toEqual([{ uid: 'User::"alice"', source: "cache", ageMs: 1234 }]);
  });

  it("joins concurrent misses for the same uid into one read", async () => {
    const { loader, put, faulty } = setup();
    await put('User::"alice"', { uid: alice, attrs: { tenant: "acme" } });
    const results = await Promise.all([loader.load([alice], "closed"), loader.load([alice], "closed"), loader.load([alice], "closed")]);
    expect(results.every((r) => r.ok && r.records.length === 1)).toBe(true);
    expect(faulty.state.calls).toHaveLength(1);
  });

  it("stops at the configured depth", async () => {
    const { loader, put, faulty } = setup({ depth: 1 });
    await put('User::"alice"', aliceRecord);
    await put('Role::"editor"', { uid: { type: "Role", id: "editor" }, attrs: {}, parents: [{ type: "Role", id: "viewer" }] });
    const result = await loader.load([alice], "closed");
    expect(result.ok && result.records.map((r) => r.uid)).toEqual([alice, { type: "Role", id: "editor" }]);
    expect(faulty.state.calls).toHaveLength(2);
  });

  it("bounds the cache in bytes as well as entries", async () => {
    const { loader, put, faulty } = setup({ cacheMaxBytes: 65_536 });
    const big = "x".repeat(20_000);
    for (let i = 0; i < 8; i++) {
      const user = { type: "User", id: `u${i}` };
      await put(`User::"u${i}"`, { uid: user, attrs: { tenant: big } });
      await loader.load([user], "closed");
    }
    // 8 × 20 KB do not fit in 64 KiB: the first ones were dropped
    expect(loader.loadCached([{ type: "User", id: "u0" }])).toBeUndefined();
    expect(loader.loadCached([{ type: "User", id: "u7" }])?.ok).toBe(true);
    expect(faulty.state.calls).toHaveLength(8);
  });
});

const attrsOfFirst = (result: EntityLoadResult | undefined) => (result?.ok ? result.records[0].attrs : result);

// The all-cached path reuses the last answer as it is, never past a record's TTL and never over a newer record
describe("entity loader: reusing a cached answer", () => {
  it("reuses a cached answer while every record in it is fresh, and a change is seen once its TTL has passed", async () => {
    const { loader, put, clock, faulty } = setup({ ttlMs: { User: 2000, Order: 5000 }, negativeTtlMs: 5000 });
    await put('User::"alice"', { uid: alice, attrs: { tenant: "acme" } });
    const first = await loader.load([alice, order], "closed");
    // A result of a read is not reused: its sources say `store`
    expect(loader.reusableFor(first)).toBeUndefined();
    const cached = loader.loadCached([alice, order])!;
    expect(loader.reusableFor(cached)).toBe(0);
    await put('User::"alice"', { uid: alice, attrs: { tenant: "globex" } });
    clock.advance(1999);
    // Within the user's TTL the same answer stands, as the cache would give it
    expect(loader.reusableFor(cached)).toBe(1999);
    expect(attrsOfFirst(loader.loadCached([alice, order]))).toEqual({ tenant: "acme" });
    clock.advance(1);
    // The user's record is stale now, although the absent order would still be fresh
    expect(loader.reusableFor(cached)).toBeUndefined();
    expect(loader.loadCached([alice, order])).toBeUndefined();
    const after = await loader.load([alice, order], "closed");
    expect(after.ok && after.records[0].attrs).toEqual({ tenant: "globex" });
    expect(faulty.state.calls).toHaveLength(2);
  });

  it("does not reuse an answer once the cache changed, nor after the clock went back", async () => {
    const { loader, put, clock } = setup();
    await put('User::"alice"', { uid: alice, attrs: { tenant: "acme" } });
    await loader.load([alice, order], "closed");
    const cached = loader.loadCached([alice, order])!;
    loader.remember('User::"alice"', JSON.stringify({ uid: alice, attrs: { tenant: "globex" } }));
    expect(loader.reusableFor(cached)).toBeUndefined();
    expect(attrsOfFirst(loader.loadCached([alice, order]))).toEqual({ tenant: "globex" });
    const again = loader.loadCached([alice, order])!;
    clock.set(NOW - 1);
    expect(loader.reusableFor(again)).toBeUndefined();
    clock.set(NOW);
    expect(loader.reusableFor(again)).toBe(0);
    loader.clearCache();
    expect(loader.reusableFor(again)).toBeUndefined();
  });
});

describe("entity loader: bad records are refused with entity_invalid and the uid", () => {
  const cases: Array<[string, unknown, string]> = [
    ["malformed JSON", "{not json", "not JSON"],
    ["an array", "[1,2]", "not an object"],
    ["an attribute of the wrong type", { uid: alice, attrs: { tenant: 42 } }, "expected a string"],
    ["a required attribute missing", { uid: alice, attrs: {} }, "`tenant` is missing"],
    ["an attribute the schema does not know", { uid: alice, attrs: { tenant: "acme", colour: "red" } }, "not in the schema"],
    ["a record naming another uid", { uid: { type: "User", id: "bob" }, attrs: { tenant: "acme" } }, 'names `User::"bob"`'],
    ["a parent of a type the schema does not allow", { uid: alice, attrs: { tenant: "acme" }, parents: [{ type: "Order", id: "x" }] }, "parent type `Order`"],
    ["an unknown field", { uid: alice, attrs: { tenant: "acme" }, owner: "x" }, "unknown field"],
    ["a 10 MiB record", { uid: alice, attrs: { tenant: "a".repeat(10 * 1024 * 1024) } }, "more than 65536"],
  ];
  for (const [name, record, message] of cases) {
    it(`refuses ${name}`, async () => {
      const { loader, put } = setup();
      await put('User::"alice"', record);
      const result = await loader.load([alice], "closed");
      expect(result).toMatchObject({ ok: false, reason: "entity_invalid", uid: 'User::"alice"' });
      expect(!result.ok && result.reason === "entity_invalid" && result.message).toContain(message);
    });
  }

  it("refuses parents that form a cycle", async () => {
    const { loader, put } = setup();
    await put('User::"alice"', aliceRecord);
    await put('Role::"editor"', { uid: { type: "Role", id: "editor" }, attrs: {}, parents: [{ type: "Role", id: "viewer" }] });
    await put('Role::"viewer"', { uid: { type: "Role", id: "viewer" }, attrs: {}, parents: [{ type: "Role", id: "editor" }] });
    const result = await loader.load([alice], "closed");
    expect(result).toMatchObject({ ok: false, reason: "entity_invalid", message: "parents form a cycle" });
  });

  it("refuses too many parents, and too many entities in all", async () => {
    const { loader, put } = setup({ maxParents: 2 });
    await put('User::"alice"', { uid: alice, attrs: { tenant: "acme" }, parents: [1, 2, 3].map((i) => ({ type: "Role", id: `r${i}` })) });
    expect(await loader.load([alice], "closed")).toMatchObject({ ok: false, reason: "entity_invalid", message: expect.stringContaining("too many parents") });
    const other = setup({ maxEntities: 3 });
    await other.put('User::"alice"', { uid: alice, attrs: { tenant: "acme" }, parents: [1, 2, 3].map((i) => ({ type: "Role", id: `r${i}` })) });
    for (const i of [1, 2, 3]) await other.put(`Role::"r${i}"`, { uid: { type: "Role", id: `r${i}` }, attrs: {} });
    expect(await other.loader.load([alice], "closed")).toMatchObject({ ok: false, reason: "entity_invalid", message: expect.stringContaining("too many entities") });
  });

  it("checks structure only without a schema, and still refuses what the runtime cannot decode", async () => {
    const { loader, put } = setup({}, null);
    await put('User::"alice"', { uid: alice, attrs: { anything: "goes" } });
    expect((await loader.load([alice], "closed")).ok).toBe(true);
    const other = setup({}, null);
    await other.put('User::"alice"', { uid: alice, attrs: { n: 1.5 } });
    expect(await other.loader.load([alice], "closed")).toMatchObject({ ok: false, reason: "entity_invalid" });
  });
});

describe("entity loader: a source that fails, per fail mode", () => {
  for (const fault of ["reject", "hang", "garbage", "throw"] as const) {
    it(`closed: ${fault} → entities_unavailable within the deadline`, async () => {
      const { loader, faulty } = setup({ deadlineMs: 30 });
      faulty.state.fault = fault;
      const started = performance.now();
      const result = await loader.load([alice], "closed");
      expect(result).toMatchObject({ ok: false, reason: "entities_unavailable" });
      expect(performance.now() - started).toBeLessThan(1000);
      expect(!result.ok && result.reason === "entities_unavailable" && result.storeError).toBe(fault === "hang" ? "timeout" : fault === "garbage" ? "bad_reply" : "connection");
    });
  }

  it("open: decides without the records, and says so", async () => {
    const { loader, faulty } = setup({ deadlineMs: 20 });
    faulty.state.fault = "hang";
    const result = await loader.load([alice, order], "open");
    expect(result).toMatchObject({ ok: true, records: [], failModeUsed: "open", storeError: "timeout" });
  });

  it("stale: serves the last record within maxStaleMs, then fails closed", async () => {
    const { loader, put, faulty, clock } = setup({ deadlineMs: 20, ttlMs: 1000, maxStaleMs: 5000 });
    await put('User::"alice"', { uid: alice, attrs: { tenant: "acme" } });
    await loader.load([alice], "stale");
    faulty.state.fault = "reject";
    clock.advance(3000);
    const stale = await loader.load([alice], "stale");
    expect(stale).toMatchObject({ ok: true, failModeUsed: "stale", storeError: "connection", loaded: [{ uid: 'User::"alice"', source: "stale", ageMs: 3000 }] });
    clock.advance(4000);
    expect(await loader.load([alice], "stale")).toMatchObject({ ok: false, reason: "entities_unavailable" });
  });

  it("opens the breaker after repeated failures, and then does not ask the source", async () => {
    const { loader, faulty } = setup({ breaker: { failureThreshold: 2, cooldownMs: 1000 } });
    faulty.state.fault = "reject";
    await loader.load([alice], "closed");
    await loader.load([alice], "closed");
    const calls = faulty.state.calls.length;
    expect(await loader.load([alice], "closed")).toMatchObject({ ok: false, storeError: "breaker_open" });
    expect(faulty.state.calls.length).toBe(calls);
  });
});
