import { describe, expect, it } from "vitest";
import { createTokenCache } from "../../../shared/token/token-cache.ts";

describe("token cache", () => {
  it("keys by SHA-256, never by the token itself", async () => {
    const cache = createTokenCache<number>(10);
    const token = "header.payload.signature";
    const key = await cache.keyOf(token);
    expect(key).toHaveLength(32);
    expect(key).not.toContain("payload");
    expect(await cache.keyOf(token)).toBe(key);
    expect(await cache.keyOf(`${token}x`)).not.toBe(key);
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
