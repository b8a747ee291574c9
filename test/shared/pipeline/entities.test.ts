// The entity stage (#17) through the real pipeline: real signed tokens, the example policies compiled
// for real (with the schema's entity shapes), a memory store or a real local HTTP endpoint as source.
import { afterEach, describe, expect, it } from "vitest";
import { entityStoreKey, httpEntitySource, NO_EXPIRY_SECONDS, storeEntitySource, coalescingStore, type EntitiesConfig } from "../../../shared/entities/index.ts";
import { isPromise } from "../../../shared/pipeline/index.ts";
import { memoryStore } from "../../../shared/revocation/stores/memory.ts";
import { auditLineErrors, startEntityServer, type EntityServer } from "../../harness/index.ts";
import { withFaults } from "../revocation/_faulty-store.ts";
import { input, setup } from "./fixtures.ts";

const olive = { sub: "olive", tenant: "acme", scope: "orders:read", amr: ["pwd"] };
const oliveOwns = (id: string) => ({ uid: { type: "Order", id: `acme/${id}` }, attrs: { tenant: "acme", owner: { __entity: { type: "User", id: "olive" } } } });
const ottoOwns = (id: string) => ({ uid: { type: "Order", id: `acme/${id}` }, attrs: { tenant: "acme", owner: { __entity: { type: "User", id: "otto" } } } });

async function withMemorySource(entities: Partial<EntitiesConfig> = {}) {
  const store = memoryStore.create({}, { env: {} });
  const faulty = withFaults(store);
  const put = (uid: string, record: unknown) => store.put(entityStoreKey(uid), typeof record === "string" ? record : JSON.stringify(record), NO_EXPIRY_SECONDS);
  const env = await setup({ entities: { source: { kind: "memory" }, ...entities } }, { entitySource: storeEntitySource(faulty.store) });
  return { ...env, put, faulty };
}

let server: EntityServer | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

describe("entity stage: live records decide", () => {
  it("allows an order's owner by the record's `owner`, and denies when the record names someone else", async () => {
    const { authorize, token, put } = await withMemorySource();
    await put('Order::"acme/o-1"', oliveOwns("o-1"));
    await put('Order::"acme/o-2"', ottoOwns("o-2"));
    const jwt = await token(olive);
    expect(await authorize(input("GET", "/tenants/acme/orders/o-1", jwt))).toMatchObject({ allow: true, reason: "allowed", policies: ["owners-read-own-orders"] });
    expect(await authorize(input("GET", "/tenants/acme/orders/o-2", jwt))).toMatchObject({ allow: false, reason: "policy_denied" });
  });

  it("a changed record changes the decision once the type's TTL has passed, not before", async () => {
    const { authorize, token, put, clock } = await withMemorySource({ ttlMs: { Order: 2000 } });
    await put('Order::"acme/o-1"', oliveOwns("o-1"));
    const jwt = await token(olive);
    expect((await authorize(input("GET", "/tenants/acme/orders/o-1", jwt))).allow).toBe(true);
    await put('Order::"acme/o-1"', ottoOwns("o-1"));
    clock.advance(1999);
    expect((await authorize(input("GET", "/tenants/acme/orders/o-1", jwt))).allow).toBe(true);
    clock.advance(2);
    expect((await authorize(input("GET", "/tenants/acme/orders/o-1", jwt))).allow).toBe(false);
  });

  it("a user suspended in the directory is denied although the token says nothing of it", async () => {
    const { authorize, token, put } = await withMemorySource();
    await put('User::"vera"', { uid: { type: "User", id: "vera" }, attrs: { tenant: "acme", suspended: true } });
    const decision = await authorize(input("GET", "/tenants/acme/orders/o-1", await token({ sub: "vera", tenant: "acme", groups: ["viewer"], scope: "orders:read" })));
    expect(decision).toMatchObject({ allow: false, reason: "policy_denied", policies: ["forbid-suspended"] });
  });

  it("claims declared authoritative win over the record", async () => {
    const { authorize, token, put } = await withMemorySource({ claimsAuthoritative: ["tenant"] });
    // The record moves vera to another tenant; the token's tenant is declared the authority
    await put('User::"vera"', { uid: { type: "User", id: "vera" }, attrs: { tenant: "globex", suspended: false } });
    const decision = await authorize(input("GET", "/tenants/acme/orders/o-1", await token({ sub: "vera", tenant: "acme", groups: ["viewer"], scope: "orders:read" })));
    expect(decision).toMatchObject({ allow: true });
    const other = await withMemorySource();
    await other.put('User::"vera"', { uid: { type: "User", id: "vera" }, attrs: { tenant: "globex", suspended: false } });
    expect(await other.authorize(input("GET", "/tenants/acme/orders/o-1", await other.token({ sub: "vera", tenant: "acme", groups: ["viewer"], scope: "orders:read" })))).toMatchObject({ allow: false });
  });

  it("answers synchronously when every record is cached", async () => {
    const { authorize, token, put } = await withMemorySource();
    await put('Order::"acme/o-1"', oliveOwns("o-1"));
    await put('User::"olive"', { uid: { type: "User", id: "olive" }, attrs: { tenant: "acme", suspended: false } });
    const jwt = await token(olive);
    await authorize(input("GET", "/tenants/acme/orders/o-1", jwt));
    const again = authorize.decide(input("GET", "/tenants/acme/orders/o-1", jwt));
    expect(isPromise(again)).toBe(false);
    expect(again).toMatchObject({ allow: true });
  });

  it("writes the loaded records, where from, their age and the data version in the audit line", async () => {
    const { authorize, token, put, sink, clock } = await withMemorySource();
    await put('Order::"acme/o-1"', oliveOwns("o-1"));
    const jwt = await token(olive);
    await authorize(input("GET", "/tenants/acme/orders/o-1", jwt));
    clock.advance(700);
    await authorize(input("GET", "/tenants/acme/orders/o-1", jwt));
    await authorize.flush();
    const [first, second] = sink.records;
    expect(first.entities).toEqual({ loaded: [{ uid: 'User::"olive"', source: "absent", age_ms: 0 }, { uid: 'Order::"acme/o-1"', source: "store", age_ms: 0 }], version: expect.stringMatching(/^[0-9a-f]{16}$/), fail_mode_used: null, store_error: null });
    expect(second.entities).toMatchObject({ loaded: [{ source: "absent" }, { uid: 'Order::"acme/o-1"', source: "cache", age_ms: 700 }], version: first.entities!.version });
    for (const line of sink.lines) expect(auditLineErrors(JSON.parse(line))).toEqual([]);
  });
});

// Repeated cached decisions reuse the last load and merge as they are
describe("entity stage: reusing the last answer while every record is fresh", () => {
  it("decides synchronously from the reused answer, with the records' true ages, and sees a change once the TTL has passed", async () => {
    const { authorize, token, put, sink, clock } = await withMemorySource({ ttlMs: { Order: 2000, User: 60_000 }, negativeTtlMs: 60_000 });
    await put('Order::"acme/o-1"', oliveOwns("o-1"));
    const jwt = await token(olive);
    const request = () => input("GET", "/tenants/acme/orders/o-1", jwt);
    expect((await authorize(request())).allow).toBe(true);
    // Second decision answers from the cache; the third and fourth reuse that answer
    const decisions = [];
    for (const step of [500, 700, 799]) {
      clock.advance(step);
      const decision = authorize.decide(request());
      expect(isPromise(decision)).toBe(false);
      decisions.push(decision);
    }
    await put('Order::"acme/o-1"', ottoOwns("o-1"));
    for (const decision of decisions) expect(decision).toMatchObject({ allow: true });
    // 1999 ms after the read: the order's record is still fresh, the changed one is not seen yet
    expect(authorize.decide(request())).toMatchObject({ allow: true });
    clock.advance(1);
    // 2000 ms: past the order's TTL, the record is read again and the change decides
    const after = authorize.decide(request());
    expect(isPromise(after)).toBe(true);
    expect(await after).toMatchObject({ allow: false, reason: "policy_denied" });
    expect(authorize.decide(request())).toMatchObject({ allow: false, reason: "policy_denied" });
    await authorize.flush();
    const ages = sink.records.map((r) => r.entities!.loaded.find((e) => e.uid === 'Order::"acme/o-1"'));
    expect(ages).toEqual([
      { uid: 'Order::"acme/o-1"', source: "store", age_ms: 0 },
      { uid: 'Order::"acme/o-1"', source: "cache", age_ms: 500 },
      { uid: 'Order::"acme/o-1"', source: "cache", age_ms: 1200 },
      { uid: 'Order::"acme/o-1"', source: "cache", age_ms: 1999 },
      { uid: 'Order::"acme/o-1"', source: "cache", age_ms: 1999 },
      { uid: 'Order::"acme/o-1"', source: "store", age_ms: 0 },
      { uid: 'Order::"acme/o-1"', source: "cache", age_ms: 0 },
    ]);
    for (const line of sink.lines) expect(auditLineErrors(JSON.parse(line))).toEqual([]);
  });
});

describe("entity stage: bad records and failing sources never allow, never 500", () => {
  const bad: Array<[string, unknown]> = [
    ["malformed JSON", "{oops"],
    ["a wrong attribute type", { uid: { type: "Order", id: "acme/o-1" }, attrs: { tenant: 7 } }],
    ["a 10 MiB record", { uid: { type: "Order", id: "acme/o-1" }, attrs: { tenant: "a".repeat(10 * 1024 * 1024) } }],
  ];
  for (const [name, record] of bad) {
    it(`${name} → 403 entity_invalid naming the uid`, async () => {
      const { authorize, token, put, sink } = await withMemorySource();
      await put('Order::"acme/o-1"', record);
      const decision = await authorize(input("GET", "/tenants/acme/orders/o-1", await token(olive)));
      expect(decision).toMatchObject({ allow: false, status: 403, reason: "entity_invalid" });
      await authorize.flush();
      expect(sink.records[0].detail).toMatchObject({ stage: "entities", uid: 'Order::"acme/o-1"' });
      expect(auditLineErrors(JSON.parse(sink.lines[0]))).toEqual([]);
    });
  }

  it("a cycle through the principal's parents → 403 entity_invalid", async () => {
    const { authorize, token, put } = await withMemorySource();
    await put('User::"olive"', { uid: { type: "User", id: "olive" }, attrs: { tenant: "acme" }, parents: [{ type: "Role", id: "team-a" }] });
    await put('Role::"team-a"', { uid: { type: "Role", id: "team-a" }, attrs: {}, parents: [{ type: "Role", id: "team-b" }] });
    await put('Role::"team-b"', { uid: { type: "Role", id: "team-b" }, attrs: {}, parents: [{ type: "Role", id: "team-a" }] });
    expect(await authorize(input("GET", "/tenants/acme/orders/o-1", await token(olive)))).toMatchObject({ status: 403, reason: "entity_invalid" });
  });

  it("a store that fails: closed → 503 entities_unavailable, open → decides without the records", async () => {
    const closed = await withMemorySource({ deadlineMs: 30 });
    closed.faulty.state.fault = "hang";
    expect(await closed.authorize(input("GET", "/tenants/acme/orders/o-1", await closed.token(olive)))).toMatchObject({ status: 503, reason: "entities_unavailable" });
    const open = await withMemorySource({ deadlineMs: 30, failMode: "open" });
    open.faulty.state.fault = "reject";
    const vera = await open.token({ sub: "vera", tenant: "acme", groups: ["viewer"], scope: "orders:read" });
    expect(await open.authorize(input("GET", "/tenants/acme/orders/o-1", vera))).toMatchObject({ allow: true });
    await open.authorize.flush();
    expect(open.sink.records[0].entities).toMatchObject({ fail_mode_used: "open", store_error: "connection" });
  });

  for (const mode of ["hang", "garbage", "wrong_shape", "down", "huge"] as const) {
    it(`an http source that answers ${mode} → 503 entities_unavailable within the deadline`, async () => {
      server = await startEntityServer();
      server.setMode(mode);
      const source = httpEntitySource({ url: server.url, authorization: "Bearer s3cret", timeoutMs: 200, maxRecordBytes: 65_536 });
      const { authorize, token } = await setup({ entities: { source: { kind: "http", url: server.url }, deadlineMs: 100 } }, { entitySource: source });
      const jwt = await token(olive);
      const started = performance.now();
      const decision = await authorize(input("GET", "/tenants/acme/orders/o-1", jwt));
      const ms = performance.now() - started;
      console.log(`http entity source answering ${mode}: 503 entities_unavailable in ${ms.toFixed(0)} ms (deadline 100 ms, source timeout 200 ms)`);
      expect(decision).toMatchObject({ status: 503, reason: "entities_unavailable" });
      // Generous bound: the point is that a hanging endpoint cannot hold the request
      expect(ms).toBeLessThan(5000);
    });
  }

  it("an http source answers records for the uids asked, with the configured authorization", async () => {
    server = await startEntityServer();
    server.records.set('Order::"acme/o-1"', oliveOwns("o-1"));
    // Deadlines far above a loopback round trip: this test is about what is sent and used, and the
    // default 50 ms deadline can pass on a loaded CI machine (then the answer is a 503)
    const source = httpEntitySource({ url: server.url, authorization: "Bearer s3cret", timeoutMs: 5000, maxRecordBytes: 65_536 });
    const { authorize, token } = await setup({ entities: { source: { kind: "http", url: server.url }, deadlineMs: 5000 } }, { entitySource: source });
    expect(await authorize(input("GET", "/tenants/acme/orders/o-1", await token(olive)))).toMatchObject({ allow: true });
    expect(server.requests).toEqual([{ uids: ['User::"olive"', 'Order::"acme/o-1"'], authorization: "Bearer s3cret" }]);
  });
});

describe("entity stage: one round trip with revocation on the same store", () => {
  it("joins the entity read and the revocation lookup into one store call", async () => {
    const store = memoryStore.create({}, { env: {} });
    const faulty = withFaults(store);
    const shared = coalescingStore(faulty.store);
    await store.put(entityStoreKey('Order::"acme/o-1"'), JSON.stringify(oliveOwns("o-1")), NO_EXPIRY_SECONDS);
    const { authorize, token } = await setup(
      { entities: { source: { kind: "memory" } } },
      { revocationStore: shared, entitySource: storeEntitySource(shared), entitiesShareStore: true },
    );
    expect(await authorize(input("GET", "/tenants/acme/orders/o-1", await token({ ...olive, jti: "t-1" })))).toMatchObject({ allow: true });
    expect(faulty.state.calls).toHaveLength(1);
    expect(faulty.state.calls[0].keys.filter((k) => k.startsWith("gh:rv:")).length).toBeGreaterThan(0);
    expect(faulty.state.calls[0].keys.filter((k) => k.startsWith("gh:en:"))).toEqual(['gh:en:User::"olive"', 'gh:en:Order::"acme/o-1"']);
  });

  // The prefetch before revocation skips its cache walk when the stage will reuse its last answer
  it("with the prefetch in place, reuses the cached answer within the TTL and sees a change after it", async () => {
    const store = memoryStore.create({}, { env: {} });
    const shared = coalescingStore(store);
    const put = (record: unknown) => store.put(entityStoreKey('Order::"acme/o-1"'), JSON.stringify(record), NO_EXPIRY_SECONDS);
    await put(oliveOwns("o-1"));
    const { authorize, token, clock } = await setup(
      { entities: { source: { kind: "memory" }, ttlMs: { Order: 2000 } } },
      { revocationStore: shared, entitySource: storeEntitySource(shared), entitiesShareStore: true },
    );
    const jwt = await token({ ...olive, jti: "t-2" });
    const request = () => input("GET", "/tenants/acme/orders/o-1", jwt);
    expect(await authorize(request())).toMatchObject({ allow: true });
    await put(ottoOwns("o-1"));
    for (const step of [10, 10, 1979]) {
      clock.advance(step);
      expect(await authorize(request())).toMatchObject({ allow: true });
    }
    clock.advance(1);
    expect(await authorize(request())).toMatchObject({ allow: false, reason: "policy_denied" });
  });
});
