import { systemClock, type Clock } from "../../clock/index.ts";
import type { StoreKind } from "../store-kind.ts";
import type { RevocationStore, RevocationStoreEntry } from "../store.ts";

/** Options for `createMemoryStore`. */
export interface MemoryStoreOptions {
  /** Decides when entries expire; default the system clock. */
  readonly clock?: Clock;
}

/**
 * The plain default store: a Map in this isolate. For development and tests; it is not shared
 * between isolates or processes, so a revocation written elsewhere never reaches it.
 */
export function createMemoryStore(options: MemoryStoreOptions = {}): RevocationStore {
  const clock = options.clock ?? systemClock;
  const entries = new Map<string, { value: string; expiresAt: number }>();

  function live(key: string): { value: string; expiresAt: number } | undefined {
    const entry = entries.get(key);
    if (entry === undefined) return undefined;
    if (clock.now() >= entry.expiresAt * 1000) {
      entries.delete(key);
      return undefined;
    }
    return entry;
  }

  return {
    name: "memory",
    getMany: async function memoryGetMany(keys) {
      return keys.map((key) => live(key)?.value ?? null);
    },
    put: async function memoryPut(key, value, expiresAtSeconds) {
      entries.set(key, { value, expiresAt: expiresAtSeconds });
    },
    delete: async function memoryDelete(key) {
      entries.delete(key);
    },
    list: async function memoryList(prefix) {
      const found: RevocationStoreEntry[] = [];
      for (const key of [...entries.keys()]) {
        const entry = key.startsWith(prefix) ? live(key) : undefined;
        if (entry !== undefined) found.push({ key, value: entry.value, expiresAt: entry.expiresAt });
      }
      return found.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    },
  };
}

/** `{ kind: "memory" }`: no options; entries expire by the pipeline's clock. */
export const memoryStore: StoreKind<Record<string, never>> = {
  kind: "memory",
  parse: () => ({}),
  create: (_options, deps) => createMemoryStore(deps.clock === undefined ? {} : { clock: deps.clock }),
  describe: () => "memory",
};
