/**
 * A bounded LRU of verified tokens, so a token seen again skips signature verification. Keyed by
 * the raw token string (issue #22): a hit needs the whole string to be equal, so no token can be
 * forged to collide with a cached one (Envoy's `jwt_authn` cache keys by the token the same way),
 * and a lookup is synchronous, with no digest to compute. The trade-off: tokens are held in this
 * isolate's memory, for at most their cache lifetime, and never written anywhere else
 * (docs/hot-path.md).
 */
export interface TokenCache<T> {
  /** The value if present and `nowMs` is before its expiry; an expired entry is dropped. */
  get(token: string, nowMs: number): T | undefined;
  /** Stores `value` until `expiresAtMs`, evicting the least recently used entry when full. */
  set(token: string, value: T, expiresAtMs: number): void;
  readonly size: number;
}

interface Slot<T> {
  /** The whole token: the map's key is only its tail. */
  readonly token: string;
  readonly value: T;
  readonly expiresAtMs: number;
  /** The use counter when the slot was last moved to the young end of the map. */
  touched: number;
}

/** Creates a cache holding at most `maxEntries` tokens (0 disables it: nothing is stored). */
export function createTokenCache<T>(maxEntries: number): TokenCache<T> {
  // The map is keyed by the token's last characters (its signature's, unpredictable), so a lookup
  // hashes 48 characters rather than the whole token; the slot's full token is then compared, so
  // two tokens sharing a tail can only miss or evict each other, never answer for each other.
  // A Map iterates in insertion order, so re-inserting on a hit makes the first key the least
  // recently used. A slot in the younger half of the order is not moved: that delete and insert
  // would cost more than the lookup, and the slot is still far from eviction.
  const slots = new Map<string, Slot<T>>();
  const youngHalf = Math.max(1, Math.floor(maxEntries / 2));
  let uses = 0;
  // The slot of the last hit, while it is in the map: a client repeats its token from request to
  // request, and comparing it whole costs less than cutting, hashing and finding its tail
  let last: Slot<T> | undefined;
  return {
    get(token, nowMs) {
      let key: string | undefined;
      let slot = last;
      if (slot === undefined || slot.token !== token) {
        key = bucketOf(token);
        slot = slots.get(key);
        if (slot === undefined || slot.token !== token) return undefined;
      }
      if (nowMs >= slot.expiresAtMs) {
        slots.delete(key ?? bucketOf(token));
        last = undefined;
        return undefined;
      }
      last = slot;
      if (uses - slot.touched >= youngHalf) {
        key ??= bucketOf(token);
        slots.delete(key);
        slots.set(key, slot);
        slot.touched = ++uses;
      }
      return slot.value;
    },
    set(token, value, expiresAtMs) {
      if (maxEntries <= 0) return;
      const key = bucketOf(token);
      // Whatever leaves the map below must not be answered from `last`
      last = undefined;
      slots.delete(key);
      while (slots.size >= maxEntries) {
        const oldest = slots.keys().next();
        if (oldest.done) break;
        slots.delete(oldest.value);
      }
      slots.set(key, { token, value, expiresAtMs, touched: ++uses });
    },
    get size() {
      return slots.size;
    },
  };
}

const TAIL = 48;

function bucketOf(token: string): string {
  return token.length <= TAIL ? token : token.slice(token.length - TAIL);
}
