import { Redis } from "@upstash/redis/cloudflare";
import type { RevocationStore, RevocationStoreEntry } from "../store.ts";
import { expiresAtFromTtl, globForPrefix } from "./redis-glob.ts";

/** Options for `createUpstashStore`. */
export interface UpstashStoreOptions {
  /** The database's REST URL (`UPSTASH_REDIS_REST_URL`). */
  readonly url: string;
  /** The REST token (`UPSTASH_REDIS_REST_TOKEN`); sent as a bearer token, never logged. */
  readonly token: string;
}

/**
 * Upstash Redis over its REST API with the official `@upstash/redis` client (plain `fetch`, so it
 * runs in workerd, Lambda and Node). Same data layout as the TCP Redis store: one string per key
 * with `EXAT` expiry, so either can read what the other wrote. A lookup is one `MGET` request.
 */
export function createUpstashStore(options: UpstashStoreOptions): RevocationStore {
  // The client reads its signal once per request, synchronously inside the call, so setting it
  // just before `mget` gives each concurrent lookup its own abort without a client per request.
  let signal: AbortSignal | undefined;
  const redis = new Redis({
    url: options.url,
    token: options.token,
    // The checker owns the deadline; the client's own retries (5 with backoff) would outlive it
    retry: { retries: 0 },
    enableTelemetry: false,
    enableAutoPipelining: false,
    automaticDeserialization: false,
    readYourWrites: false,
    signal: () => signal as AbortSignal,
  });

  return {
    name: "upstash",
    getMany: function upstashGetMany(keys, abort) {
      signal = abort;
      try {
        return redis.mget<Array<string | null>>(...keys);
      } finally {
        signal = undefined;
      }
    },
    put: async function upstashPut(key, value, expiresAtSeconds) {
      await redis.set(key, value, { exat: expiresAtSeconds });
    },
    delete: async function upstashDelete(key) {
      await redis.del(key);
    },
    list: async function upstashList(prefix, nowMs) {
      const found: RevocationStoreEntry[] = [];
      let cursor = "0";
      do {
        const [next, keys] = await redis.scan(cursor, { match: globForPrefix(prefix), count: 500 });
        cursor = String(next);
        if (keys.length === 0) continue;
        const pipeline = redis.pipeline();
        for (const key of keys) pipeline.get(key).ttl(key);
        const replies = await pipeline.exec<unknown[]>();
        for (let i = 0; i < keys.length; i++) {
          const value = replies[2 * i];
          if (typeof value === "string") found.push({ key: keys[i], value, expiresAt: expiresAtFromTtl(replies[2 * i + 1], nowMs) });
        }
      } while (cursor !== "0");
      return found.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    },
  };
}
