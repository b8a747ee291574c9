import type { Redis } from "@upstash/redis/cloudflare";
import { ConfigError } from "../../errors.ts";
import { requiredOption, type StoreKind } from "../store-kind.ts";
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
 * with `EXAT` expiry, so either can read what the other wrote. A lookup is one `MGET` request, a
 * conditional write (`putIfAbsent`) one `SET NX`.
 */
export function createUpstashStore(options: UpstashStoreOptions): RevocationStore {
  // The client reads its signal once per request, synchronously inside the call, so setting it
  // just before `mget` gives each concurrent lookup its own abort without a client per request.
  let signal: AbortSignal | undefined;
  // `@upstash/redis` is an optional peer of the package: loaded when a store is built, not when this
  // module is (the CLI loads every store kind for its flags)
  const client = import("@upstash/redis/cloudflare").then(
    ({ Redis }): Redis =>
      new Redis({
        url: options.url,
        token: options.token,
        // The checker owns the deadline; the client's own retries (5 with backoff) would outlive it
        retry: { retries: 0 },
        enableTelemetry: false,
        enableAutoPipelining: false,
        automaticDeserialization: false,
        readYourWrites: false,
        signal: () => signal as AbortSignal,
      }),
  );
  client.catch(() => {}); // a missing client rejects every call; never an unhandled rejection

  return {
    name: "upstash",
    getMany: async function upstashGetMany(keys, abort) {
      const redis = await client;
      signal = abort;
      try {
        return redis.mget<Array<string | null>>(...keys);
      } finally {
        signal = undefined;
      }
    },
    put: async function upstashPut(key, value, expiresAtSeconds) {
      await (await client).set(key, value, { exat: expiresAtSeconds });
    },
    // `SET key value NX EXAT ts`: one request; Redis answers `OK` when it wrote, nil when the key is live
    putIfAbsent: async function upstashPutIfAbsent(key, value, expiresAtSeconds, abort) {
      const redis = await client;
      let reply: Promise<unknown>;
      signal = abort;
      try {
        reply = redis.set(key, value, { nx: true, exat: expiresAtSeconds });
      } finally {
        signal = undefined;
      }
      return (await reply) === "OK";
    },
    delete: async function upstashDelete(key) {
      await (await client).del(key);
    },
    list: async function upstashList(prefix, nowMs) {
      const redis = await client;
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

/**
 * `{ kind: "upstash", url?, token? }`: `url` defaults to `UPSTASH_REDIS_REST_URL` and `token` to
 * `UPSTASH_REDIS_REST_TOKEN` (keep the token out of config files and command lines).
 */
export const upstashStore: StoreKind<UpstashStoreOptions> = {
  kind: "upstash",
  cli: {
    select: { flag: "upstash-url", field: "url", env: "UPSTASH_REDIS_REST_URL", help: "URL  Upstash REST" },
    options: [{ flag: "upstash-token", field: "token", env: "UPSTASH_REDIS_REST_TOKEN", help: "TOKEN  (prefer the env var)" }],
  },
  parse(section, env, name) {
    const url = requiredOption(section, env, "url", "UPSTASH_REDIS_REST_URL", name, "the Upstash REST url");
    if (!/^https?:\/\//.test(url)) throw new ConfigError(name("url"), "expected an `https://` url");
    return { url, token: requiredOption(section, env, "token", "UPSTASH_REDIS_REST_TOKEN", name, "the Upstash REST token") };
  },
  create: (options) => createUpstashStore(options),
  describe: (options) => `upstash ${hostOf(options.url)}`,
};

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return "?";
  }
}
