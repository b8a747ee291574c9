import type { StoreKind } from "../store-kind.ts";
import type { RevocationStore, RevocationStoreEntry } from "../store.ts";

/**
 * The plain default store: a Map in this isolate. For development and tests; it is not shared
 * between isolates or processes, so a revocation written elsewhere never reaches it.
 */
export function createMemoryStore(): RevocationStore {
  const entries = new Map<string, { value: string; expiresAt: number }>();

  function live(key: string, nowMs: number): { value: string; expiresAt: number } | undefined {
    const entry = entries.get(key);
    if (entry === undefined) return undefined;
    if (nowMs >= entry.expiresAt * 1000) {
      entries.delete(key);
      return undefined;
    }
    return entry;
  }

  return {
    name: "memory",
    getMany: async function memoryGetMany(keys, _signal, nowMs) {
      return keys.map((key) => live(key, nowMs)?.value ?? null);
    },
    put: async function memoryPut(key, value, expiresAtSeconds) {
      entries.set(key, { value, expiresAt: expiresAtSeconds });
    },
    // Atomic within this isolate: the check and the write run in one synchronous turn
    putIfAbsent: async function memoryPutIfAbsent(key, value, expiresAtSeconds, _signal, nowMs) {
      if (live(key, nowMs) !== undefined) return false;
      entries.set(key, { value, expiresAt: expiresAtSeconds });
      return true;
    },
    delete: async function memoryDelete(key) {
      entries.delete(key);
    },
    list: async function memoryList(prefix, nowMs) {
      const found: RevocationStoreEntry[] = [];
      for (const key of [...entries.keys()]) {
        const entry = key.startsWith(prefix) ? live(key, nowMs) : undefined;
        if (entry !== undefined) found.push({ key, value: entry.value, expiresAt: entry.expiresAt });
      }
      return found.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    },
  };
}

/** `{ kind: "memory" }`: no options; entries expire by the time each read is given (the pipeline's clock). */
export const memoryStore: StoreKind<Record<string, never>> = {
  kind: "memory",
  parse: () => ({}),
  create: () => createMemoryStore(),
  describe: () => "memory",
};
