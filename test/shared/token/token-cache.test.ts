import { describe, expect, it } from "vitest";
import { createTokenCache } from "../../../shared/token/token-cache.ts";

describe("token cache", () => {
  // Issue #22: keyed by the whole token string (a Map compares every character), not by a digest
  it("answers only the exact token string, synchronously", () => {
    const cache = createTokenCache<number>(10);
    const token = "header.payload.signature";
    cache.set(token, 1, Infinity);
    expect(cache.get(["header", "payload", "signature"].join("."), 0)).toBe(1);
    expect(cache.get(`${token}x`, 0)).toBeUndefined();
    expect(cache.get(token.slice(0, -1), 0)).toBeUndefined();
    expect(cache.get(token.replace("payload", "paYload"), 0)).toBeUndefined();
  });

  it("evicts in least-recently-used order under a long mixed workload", () => {
    const cache = createTokenCache<number>(8);
    const used: string[] = [];
    const touch = (k: string) => {
      used.splice(used.indexOf(k), 1);
      used.push(k);
    };
    for (let i = 0; i < 400; i++) {
      const k = `t${(i * 7919) % 13}`;
      if (cache.get(k, 0) !== undefined) touch(k);
      else {
        cache.set(k, i, Infinity);
        if (used.includes(k)) touch(k);
        else used.push(k);
        if (used.length > 8) used.shift();
      }
      // the 4 most recently used tokens are always still cached
      for (const recent of used.slice(-4)) expect(cache.get(recent, 0), recent).toBeDefined();
      expect(cache.size).toBeLessThanOrEqual(8);
    }
  });

  it("drops an entry at its expiry", () => {
    const cache = createTokenCache<string>(10);
    cache.set("k", "v", 1000);
    expect(cache.get("k", 999)).toBe("v");
    expect(cache.get("k", 1000)).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it("holds at most maxEntries, evicting the least recently used", () => {
    const cache = createTokenCache<number>(3);
    for (const k of ["a", "b", "c"]) cache.set(k, 1, Infinity);
    cache.get("a", 0);
    cache.set("d", 1, Infinity);
    expect(cache.size).toBe(3);
    expect(cache.get("b", 0)).toBeUndefined();
    expect(cache.get("a", 0)).toBe(1);
  });

  it("stores nothing with maxEntries 0", () => {
    const cache = createTokenCache<number>(0);
    cache.set("a", 1, Infinity);
    expect(cache.size).toBe(0);
  });
});

// The last hit is remembered for the next lookup of the same token; it must end as its slot does
describe("token cache: the last hit", () => {
  it("is dropped at its expiry", () => {
    const cache = createTokenCache<string>(10);
    cache.set("k", "v", 1000);
    expect(cache.get("k", 998)).toBe("v");
    expect(cache.get("k", 999)).toBe("v");
    expect(cache.get("k", 1000)).toBeUndefined();
    expect(cache.size).toBe(0);
    expect(cache.get("k", 0)).toBeUndefined();
  });

  it("is not answered once evicted or replaced", () => {
    const cache = createTokenCache<number>(2);
    cache.set("a", 1, Infinity);
    expect(cache.get("a", 0)).toBe(1);
    cache.set("b", 2, Infinity);
    cache.set("c", 3, Infinity);
    expect(cache.get("a", 0)).toBeUndefined();
    const tail = "s".repeat(60);
    cache.set(`x.${tail}`, 4, Infinity);
    expect(cache.get(`x.${tail}`, 0)).toBe(4);
    // another token with the same tail takes the slot
    cache.set(`y.${tail}`, 5, Infinity);
    expect(cache.get(`x.${tail}`, 0)).toBeUndefined();
    expect(cache.get(`y.${tail}`, 0)).toBe(5);
  });

  it("answers only the exact token string", () => {
    const cache = createTokenCache<number>(10);
    cache.set("header.payload.signature", 1, Infinity);
    expect(cache.get("header.payload.signature", 0)).toBe(1);
    expect(cache.get("header.paYload.signature", 0)).toBeUndefined();
    expect(cache.get("header.payload.signaturex", 0)).toBeUndefined();
    expect(cache.get(["header", "payload", "signature"].join("."), 0)).toBe(1);
  });
});

describe("token cache: tokens that share their last characters", () => {
  it("never answer for each other, whatever their length", () => {
    const cache = createTokenCache<string>(10);
    const tail = "s".repeat(100);
    cache.set(`aaa.${tail}`, "a", Infinity);
    expect(cache.get(`bbb.${tail}`, 0)).toBeUndefined();
    cache.set(`bbb.${tail}`, "b", Infinity);
    expect(cache.get(`bbb.${tail}`, 0)).toBe("b");
    expect(cache.get(`aaa.${tail}`, 0)).toBeUndefined();
  });
});
