import type { RevocationStore } from "../revocation/store.ts";
import { entityStoreKey } from "./uid.ts";

/**
 * Where live entity records come from. `getMany` answers, per uid key (`User::"alice"`), the record's
 * JSON text or `null` when there is none, in one round trip; it may reject (the loader turns that
 * into a store error) and should stop when `signal` aborts. `nowMs` is the caller's clock.
 */
export interface EntitySource {
  /** For audit lines: `redis`, `kv`, `http`, … */
  readonly name: string;
  getMany(uids: readonly string[], signal: AbortSignal, nowMs: number): Promise<Array<string | null>>;
}

/** An entity source over a revocation store (memory, KV, Upstash, Redis, DynamoDB): records under `gh:en:<uid>`. */
export function storeEntitySource(store: RevocationStore): EntitySource {
  return {
    name: store.name,
    getMany: function getEntityRecords(uids, signal, nowMs) {
      const keys = new Array<string>(uids.length);
      for (let i = 0; i < uids.length; i++) keys[i] = entityStoreKey(uids[i]);
      return store.getMany(keys, signal, nowMs);
    },
  };
}

// Entity records are not meant to expire by themselves; stores want a time, so the latest every store
// takes (Miniflare's KV refuses expirations past a signed 32-bit integer: 2038-01-19)
export const NO_EXPIRY_SECONDS = 2_147_483_000;
