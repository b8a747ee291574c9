import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { claimOnce, createRevocationChecker, revoke, type RevocationStore } from "../../../shared/revocation/index.ts";

export interface ContractOptions {
  /** Whether entries can be shown to expire within seconds (KV's minimum expiry is 60 s). */
  readonly shortExpiry: boolean;
  /** Whether the store has an atomic `putIfAbsent` (KV has no conditional write). */
  readonly conditionalWrite: boolean;
  /**
   * Whether the store serves the revocation checker (default true). S3 holds policy bundles only,
   * and s3rver refuses the `//` that an issuer URL puts in a revocation key (`https%3A//…`).
   */
  readonly servesChecker?: boolean;
}

let run = 0;

/**
 * The behaviour every `RevocationStore` must share, run against the real backend: ordered
 * `getMany` with nulls, put/delete, prefix listing that treats glob characters literally, expiry,
 * one store call per checked token, and writing a key once (`putIfAbsent`, `claimOnce`).
 */
export function describeStoreContract(name: string, open: () => Promise<RevocationStore>, options: ContractOptions): void {
  describe(`${name}: store contract`, () => {
    let store: RevocationStore;
    // Each run writes under its own issuer, so a persistent backend never sees an earlier run's keys
    const iss = `https://contract-${process.pid}-${++run}.test`;
    const key = (id: string) => `gh:rv:jti:${encodeURIComponent(iss)}:${id}`;
    const signal = () => AbortSignal.timeout(5000);
    const inAnHour = () => Math.floor(Date.now() / 1000) + 3600;

    beforeAll(async () => {
      store = await open();
    });
    afterAll(async () => {
      await store?.close?.();
    });

    it("answers getMany in key order, with null for absent keys", async () => {
      await store.put(key("b"), "2", inAnHour());
      await store.put(key("a"), "1", inAnHour());
      expect(await store.getMany([key("a"), key("missing"), key("b")], signal(), Date.now())).toEqual(["1", null, "2"]);
      expect(await store.getMany([key("missing")], signal(), Date.now())).toEqual([null]);
    });

    it("overwrites on put and forgets on delete; deleting an absent key is fine", async () => {
      await store.put(key("c"), "1", inAnHour());
      await store.put(key("c"), "2", inAnHour());
      expect(await store.getMany([key("c")], signal(), Date.now())).toEqual(["2"]);
      await store.delete(key("c"));
      await store.delete(key("c"));
      expect(await store.getMany([key("c")], signal(), Date.now())).toEqual([null]);
    });

    it("lists entries under a prefix with their expiry, treating glob characters literally", async () => {
      const exp = inAnHour();
      await store.put(key("list*1"), "10", exp);
      await store.put(key("list?2"), "20", exp);
      await store.put(key("listX"), "30", exp);
      const listed = await store.list(key("list*"), Date.now());
      expect(listed.map((e) => [e.key, e.value])).toEqual([[key("list*1"), "10"]]);
      expect(Math.abs((listed[0].expiresAt ?? 0) - exp)).toBeLessThanOrEqual(2);
      const all = await store.list(key("list"), Date.now());
      expect(all.map((e) => e.value).sort()).toEqual(["10", "20", "30"]);
    });

    if (options.shortExpiry) {
      it("drops an entry once its expiry has passed", async () => {
        // Two seconds ahead: with +1 a put landing just after a second boundary would already be expired.
        const exp = Math.floor(Date.now() / 1000) + 2;
        await store.put(key("short"), "1", exp);
        expect(await store.getMany([key("short")], signal(), Date.now())).toEqual(["1"]);
        await new Promise((r) => setTimeout(r, exp * 1000 - Date.now() + 300));
        expect(await store.getMany([key("short")], signal(), Date.now())).toEqual([null]);
        expect((await store.list(key("short"), Date.now())).length).toBe(0);
      });
    }

    if (options.conditionalWrite) {
      it("putIfAbsent writes once: true, then false while the entry lives, leaving the first value", async () => {
        expect(await store.putIfAbsent!(key("once"), "first", inAnHour(), signal(), Date.now())).toBe(true);
        expect(await store.putIfAbsent!(key("once"), "second", inAnHour(), signal(), Date.now())).toBe(false);
        expect(await store.getMany([key("once")], signal(), Date.now())).toEqual(["first"]);
        // An entry written by `put` counts as present too
        await store.put(key("once-put"), "1", inAnHour());
        expect(await store.putIfAbsent!(key("once-put"), "2", inAnHour(), signal(), Date.now())).toBe(false);
      });

      it("putIfAbsent lets exactly one of many concurrent writers of a key through", async () => {
        const replies = await Promise.all(Array.from({ length: 16 }, (_, i) => store.putIfAbsent!(key("race"), String(i), inAnHour(), signal(), Date.now())));
        expect(replies.filter((written) => written)).toHaveLength(1);
        const [value] = await store.getMany([key("race")], signal(), Date.now());
        expect(value).toBe(String(replies.indexOf(true)));
      });

      if (options.shortExpiry) {
        it("putIfAbsent writes again once the entry has expired", async () => {
          // Two seconds ahead, as above: one second flaked on a loaded machine
          const exp = Math.floor(Date.now() / 1000) + 2;
          expect(await store.putIfAbsent!(key("again"), "1", exp, signal(), Date.now())).toBe(true);
          expect(await store.putIfAbsent!(key("again"), "2", exp, signal(), Date.now())).toBe(false);
          await new Promise((r) => setTimeout(r, exp * 1000 - Date.now() + 300));
          expect(await store.putIfAbsent!(key("again"), "3", inAnHour(), signal(), Date.now())).toBe(true);
          expect(await store.getMany([key("again")], signal(), Date.now())).toEqual(["3"]);
        });
      }
    } else {
      it("has no putIfAbsent: it could not be atomic", () => {
        expect(store.putIfAbsent).toBeUndefined();
      });
    }

    it("claims a key once (claimOnce): claimed, then taken", async () => {
      let calls = 0;
      const counted: RevocationStore = {
        ...store,
        getMany: (keys, s, nowMs) => (calls++, store.getMany(keys, s, nowMs)),
        put: (k, value, exp) => (calls++, store.put(k, value, exp)),
        ...(store.putIfAbsent === undefined ? {} : { putIfAbsent: (k, value, exp, s, nowMs) => (calls++, store.putIfAbsent!(k, value, exp, s, nowMs)) }),
      };
      expect(await claimOnce(counted, key("claim"), "1", inAnHour(), 2000, Date.now())).toBe("claimed");
      // One round trip where the store writes conditionally, else a read and a write
      expect(calls).toBe(options.conditionalWrite ? 1 : 2);
      expect(await claimOnce(counted, key("claim"), "1", inAnHour(), 2000, Date.now())).toBe("taken");
      expect(await store.getMany([key("claim")], signal(), Date.now())).toEqual(["1"]);
    });

    it.runIf(options.servesChecker ?? true)("serves the checker: a revoked subject is denied with one store call per token", async () => {
      let calls = 0;
      const counted: RevocationStore = { ...store, name: store.name, getMany: (keys, s, nowMs) => (calls++, store.getMany(keys, s, nowMs)) };
      const checker = createRevocationChecker({ store: { kind: "memory" }, deadlineMs: 2000 }, { store: counted });
      const claims = { iss, sub: "alice", jti: "t1", sid: "s1", client_id: "web", iat: Math.floor(Date.now() / 1000) - 10 };
      expect(await checker.check(claims)).toMatchObject({ allow: true, outcome: "not_revoked", cached: false });
      await revoke(store, { iss, sub: "alice" });
      checker.clearCache();
      expect(await checker.check(claims)).toMatchObject({ allow: false, outcome: "revoked", revokedBy: "sub" });
      expect(calls).toBe(2);
    });
  });
}
