import { describe, expect, it } from "vitest";
import { ValueCache } from "../../../shared/revocation/cache.ts";

const entry = (keepUntil = 1000) => ({ value: null, freshUntil: 10, keepUntil });

describe("cache: bounds", () => {
  for (const max of [1, 2, 3, 10, 101]) {
    it(`never holds more than ${max} keys, and keeps the one just written`, () => {
      const cache = new ValueCache(max);
      for (let i = 0; i < 1000; i++) {
        cache.set(`k${i}`, entry());
        expect(cache.size).toBeLessThanOrEqual(max);
      }
      expect(cache.get("k999", 0)).toBeDefined();
    });
  }

  it("keeps a key that is read often while others stream past", () => {
    const cache = new ValueCache(10);
    cache.set("hot", entry());
    for (let i = 0; i < 1000; i++) {
      cache.set(`k${i}`, entry());
      expect(cache.get("hot", 0)).toBeDefined();
    }
  });

  it("drops an entry at its keepUntil", () => {
    const cache = new ValueCache(10);
    cache.set("a", entry(100));
    expect(cache.get("a", 99)).toBeDefined();
    expect(cache.get("a", 100)).toBeUndefined();
    expect(cache.size).toBe(0);
  });
});
