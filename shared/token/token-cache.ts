/**
 * A bounded LRU of verified tokens, so a token seen again skips signature verification. Keys are
 * SHA-256 digests of the token string: the token itself is never kept, and a collision-resistant
 * hash is required because a collision with a cached token would be an authentication bypass (a
 * fast non-cryptographic hash can be collided on purpose).
 */
export interface TokenCache<T> {
  /** The digest used as key; compute it once per request. */
  keyOf(token: string): Promise<string>;
  /** The value if present and `nowMs` is before its expiry; an expired entry is dropped. */
  get(key: string, nowMs: number): T | undefined;
  /** Stores `value` until `expiresAtMs`, evicting the least recently used entry when full. */
  set(key: string, value: T, expiresAtMs: number): void;
  readonly size: number;
}

interface Slot<T> {
  readonly value: T;
  readonly expiresAtMs: number;
}

const encoder = new TextEncoder();

/** Creates a cache holding at most `maxEntries` tokens (0 disables it: nothing is stored or hashed). */
export function createTokenCache<T>(maxEntries: number): TokenCache<T> {
  // A Map iterates in insertion order; re-inserting on a hit makes the first key the least recently used.
  const slots = new Map<string, Slot<T>>();
  return {
    async keyOf(token) {
      const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(token)));
      // 32 code units, one per byte: the cheapest string form of the digest.
      return String.fromCharCode(...digest);
    },
    get(key, nowMs) {
      const slot = slots.get(key);
      if (slot === undefined) return undefined;
      slots.delete(key);
      if (nowMs >= slot.expiresAtMs) return undefined;
      slots.set(key, slot);
      return slot.value;
    },
    set(key, value, expiresAtMs) {
      if (maxEntries <= 0) return;
      slots.delete(key);
      while (slots.size >= maxEntries) {
        const oldest = slots.keys().next();
        if (oldest.done) break;
        slots.delete(oldest.value);
      }
      slots.set(key, { value, expiresAtMs });
    },
    get size() {
      return slots.size;
    },
  };
}
