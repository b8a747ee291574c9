// The per-isolate answer cache, bounded and approximately least-recently-used with two generations
// (the scheme of quick-lru): hits in the young map cost one Map lookup and no reordering; when the
// young map fills it becomes the old one and the previous old map is dropped whole. A key read from
// the old map moves back to the young one, so whatever is in use survives a rotation.

/** What this isolate last heard from the store for one key. Times are clock milliseconds. */
export interface CachedValue {
  /** The stored value, or `null` for "no entry". */
  readonly value: string | null;
  /** Until then the value is used without asking the store. */
  readonly freshUntil: number;
  /** Until then the value may still serve: a revoked answer, or `failMode: "stale"`. Then dropped. */
  readonly keepUntil: number;
}

/** What any cached entry carries: until when it is fresh, and until when it is kept. */
export interface Kept {
  readonly freshUntil: number;
  readonly keepUntil: number;
}

/**
 * Bounded map from store key to `CachedValue`: at most `maxEntries`, least recently used dropped first.
 * Issue #17: entity records share it, with entries of their own type and a bound in bytes as well
 * (`sizeOf` tells an entry's size; a generation rotates when it holds half of `maxBytes`).
 */
export class ValueCache<V extends Kept = CachedValue> {
  #young = new Map<string, V>();
  #old = new Map<string, V>();
  readonly #generation: number;
  // The byte bound, off unless `sizeOf` is given
  readonly #generationBytes: number;
  readonly #sizeOf: ((entry: V) => number) | undefined;
  #youngBytes = 0;

  constructor(maxEntries: number, maxBytes = Infinity, sizeOf?: (entry: V) => number) {
    this.#generation = Math.max(1, Math.floor(maxEntries / 2));
    this.#generationBytes = maxBytes / 2;
    this.#sizeOf = sizeOf;
  }

  get size(): number {
    return this.#young.size + this.#old.size;
  }

  /** The entry for `key` if it is still kept at `now`. */
  get(key: string, now: number): V | undefined {
    let entry = this.#young.get(key);
    if (entry !== undefined) {
      if (now < entry.keepUntil) return entry;
      this.#young.delete(key);
      return undefined;
    }
    entry = this.#old.get(key);
    if (entry === undefined) return undefined;
    this.#old.delete(key);
    if (now >= entry.keepUntil) return undefined;
    this.#addYoung(key, entry);
    return entry;
  }

  set(key: string, entry: V): void {
    if (this.#young.has(key)) {
      this.#young.set(key, entry);
      return;
    }
    this.#old.delete(key);
    this.#addYoung(key, entry);
  }

  clear(): void {
    this.#young.clear();
    this.#old.clear();
    this.#youngBytes = 0;
  }

  #addYoung(key: string, entry: V): void {
    this.#young.set(key, entry);
    if (this.#sizeOf !== undefined) this.#youngBytes += this.#sizeOf(entry);
    if (this.#young.size >= this.#generation || this.#youngBytes >= this.#generationBytes) {
      this.#old = this.#young;
      this.#young = new Map();
      this.#youngBytes = 0;
    }
  }
}
