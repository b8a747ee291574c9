import { describe, expect, it } from "vitest";
import { frozenClock } from "../../../shared/clock/index.ts";
import {
  RevocationInputError,
  createMemoryStore,
  listRevocations,
  revocationKey,
  revoke,
  unrevoke,
  type RevocationTarget,
} from "../../../shared/revocation/index.ts";

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0, 400);
const NOW_S = Math.floor(T0 / 1000);
const ISS = "https://idp.example";

function setup() {
  const clock = frozenClock(T0);
  return { clock, store: createMemoryStore() };
}

describe("revoke: what is written", () => {
  it("writes a jti entry that expires with the token", async () => {
    const { clock, store } = setup();
    const record = await revoke(store, { iss: ISS, jti: "t1", exp: NOW_S + 300 }, { clock });
    expect(record).toEqual({ kind: "jti", iss: ISS, id: "t1", key: revocationKey("jti", ISS, "t1"), value: String(NOW_S), expiresAt: NOW_S + 300 });
    expect(await store.getMany([record.key], AbortSignal.timeout(1000), clock.now())).toEqual([String(NOW_S)]);
  });

  it("keeps a jti entry for the longest token lifetime when exp is not given", async () => {
    const { clock, store } = setup();
    expect((await revoke(store, { iss: ISS, jti: "t1" }, { clock, maxTokenLifetimeSeconds: 3600 })).expiresAt).toBe(NOW_S + 3600);
  });

  it("keeps an already expired token's entry for a second rather than writing a past expiry", async () => {
    const { clock, store } = setup();
    expect((await revoke(store, { iss: ISS, jti: "t1", exp: NOW_S - 10 }, { clock })).expiresAt).toBe(NOW_S + 1);
  });

  it("revokes a subject up to the end of the current second, kept for the longest lifetime", async () => {
    const { clock, store } = setup();
    const record = await revoke(store, { iss: ISS, sub: "alice" }, { clock, maxTokenLifetimeSeconds: 3600 });
    expect(record).toMatchObject({ kind: "sub", value: String(NOW_S + 1), expiresAt: NOW_S + 1 + 3600 });
  });

  it("never moves a subject's `before` backwards", async () => {
    const { clock, store } = setup();
    await revoke(store, { iss: ISS, sub: "alice", before: NOW_S + 100 }, { clock });
    const record = await revoke(store, { iss: ISS, sub: "alice", before: NOW_S - 100 }, { clock });
    expect(record.value).toBe(String(NOW_S + 100));
  });

  it("writes session and client entries under their own kinds", async () => {
    const { clock, store } = setup();
    expect((await revoke(store, { iss: ISS, sid: "s1" }, { clock })).key).toBe(revocationKey("sid", ISS, "s1"));
    expect((await revoke(store, { iss: ISS, clientId: "c1" }, { clock })).key).toBe(revocationKey("client", ISS, "c1"));
  });

  it("lets unrevoke remove an entry, and removing an absent one is fine", async () => {
    const { clock, store } = setup();
    const { key } = await revoke(store, { iss: ISS, sub: "alice" }, { clock });
    expect(await unrevoke(store, { iss: ISS, sub: "alice" })).toEqual({ key });
    expect(await store.getMany([key], AbortSignal.timeout(1000), clock.now())).toEqual([null]);
    await expect(unrevoke(store, { iss: ISS, sub: "alice" })).resolves.toEqual({ key });
  });
});

describe("revoke: bad targets name the argument", () => {
  const cases: Array<[string, unknown, string]> = [
    ["no issuer", { sub: "a" }, "iss"],
    ["no identifier", { iss: ISS }, "target"],
    ["two identifiers", { iss: ISS, sub: "a", jti: "b" }, "target"],
    ["empty subject", { iss: ISS, sub: "" }, "sub"],
    ["numeric jti", { iss: ISS, jti: 5 }, "jti"],
    ["before on a jti", { iss: ISS, jti: "t", before: 5 }, "before"],
    ["exp on a subject", { iss: ISS, sub: "a", exp: 5 }, "exp"],
    ["fractional before", { iss: ISS, sub: "a", before: 1.5 }, "before"],
    ["before in milliseconds", { iss: ISS, sub: "a", before: Date.now() }, "before"],
  ];
  for (const [name, target, field] of cases) {
    it(`refuses ${name} (${field})`, async () => {
      const { store } = setup();
      const error = await revoke(store, target as RevocationTarget).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RevocationInputError);
      expect((error as RevocationInputError).field).toBe(field);
    });
  }
});

describe("listRevocations", () => {
  it("lists live entries with kind, issuer and id, filtered by kind and issuer", async () => {
    const { clock, store } = setup();
    await revoke(store, { iss: ISS, sub: "alice" }, { clock });
    await revoke(store, { iss: ISS, jti: "t1", exp: NOW_S + 60 }, { clock });
    await revoke(store, { iss: "https://b.example", sub: "bob" }, { clock });
    await store.put("unrelated", "x", NOW_S + 60);
    expect((await listRevocations(store, {}, clock)).map((r) => `${r.kind} ${r.iss} ${r.id}`)).toEqual([
      `jti ${ISS} t1`,
      "sub https://b.example bob",
      `sub ${ISS} alice`,
    ]);
    expect((await listRevocations(store, { kind: "sub", iss: ISS }, clock)).map((r) => r.id)).toEqual(["alice"]);
    expect((await listRevocations(store, { iss: "https://b.example" }, clock)).map((r) => r.id)).toEqual(["bob"]);
  });

  it("omits entries that have expired", async () => {
    const { clock, store } = setup();
    await revoke(store, { iss: ISS, jti: "t1", exp: NOW_S + 60 }, { clock });
    clock.advance(61_000);
    expect(await listRevocations(store, {}, clock)).toEqual([]);
  });
});
