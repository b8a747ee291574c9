import type { Redis } from "ioredis";
import { ConfigError } from "../../shared/errors.ts";
import type { RevocationStore, RevocationStoreEntry } from "../../shared/revocation/store.ts";
import { requiredOption, type StoreKind } from "../../shared/revocation/store-kind.ts";
import { expiresAtFromTtl, globForPrefix } from "../../shared/revocation/stores/redis-glob.ts";

/** Options for `createRedisStore`. */
export interface RedisStoreOptions {
  /** `redis://[:password@]host:port[/db]` or `rediss://` for TLS. Never logged. */
  readonly url: string;
  /** Time allowed to open the TCP connection, in ms; default 1000, from 10 to 60000. */
  readonly connectTimeoutMs?: number;
  /**
   * How long a command may stay unanswered before ioredis drops it, in ms; default 1000. The
   * checker gives up at its own `deadlineMs` long before; this only reclaims commands a hung
   * server never answers.
   */
  readonly commandTimeoutMs?: number;
}

/** A Redis store over TCP, with the reference to its ioredis client for `close`. */
export interface RedisStore extends RevocationStore {
  /** Closes the connection; later calls fail (the checker reports `store_error`). */
  close(): Promise<void>;
}

/**
 * Redis over TCP with ioredis, for Lambda in a VPC and the Node server. Same layout as the Upstash
 * store (a string per key, `EXAT` expiry), so both read each other's entries. A lookup is one
 * `MGET`, a conditional write (`putIfAbsent`) one `SET NX`. The connection opens at once and
 * reconnects with backoff; while it is down, commands wait in ioredis's queue until the checker's
 * deadline, and the circuit breaker stops sending more. ioredis cannot abort a sent command, so the
 * checker's abort signal is not used.
 */
export function createRedisStore(options: RedisStoreOptions): RedisStore {
  // ioredis is an optional peer of the package: loaded when a store is built, not when this module
  // is (the CLI loads every store kind for its flags). The connection opens as soon as it has loaded.
  const connecting = import("ioredis").then(({ Redis }) => {
    const redis = new Redis(options.url, {
      connectTimeout: options.connectTimeoutMs ?? 1000,
      commandTimeout: options.commandTimeoutMs ?? 1000,
      // One retry after a reconnect, then the queued command fails instead of piling up
      maxRetriesPerRequest: 1,
      retryStrategy: (attempt) => Math.min(50 * 2 ** Math.min(attempt, 6), 2000),
      enableAutoPipelining: false,
    });
    // ioredis emits every connection error as an event; without a listener Node prints it each time
    redis.on("error", () => {});
    return redis;
  });
  connecting.catch(() => {}); // a missing client rejects every call; never an unhandled rejection

  return {
    name: "redis",
    getMany: async function redisGetMany(keys) {
      const client = await connecting;
      return client.mget(keys as string[]).catch(reconnectOnTimeout(client));
    },
    put: async function redisPut(key, value, expiresAtSeconds) {
      await (await connecting).set(key, value, "EXAT", expiresAtSeconds);
    },
    // One `SET NX EXAT`: Redis answers `OK` when it wrote, nil when the key is live (its own clock decides)
    putIfAbsent: async function redisPutIfAbsent(key, value, expiresAtSeconds) {
      const client = await connecting;
      return (await client.set(key, value, "EXAT", expiresAtSeconds, "NX").catch(reconnectOnTimeout(client))) === "OK";
    },
    delete: async function redisDelete(key) {
      await (await connecting).del(key);
    },
    list: async function redisList(prefix, nowMs) {
      const client = await connecting;
      const found: RevocationStoreEntry[] = [];
      let cursor = "0";
      do {
        const [next, keys] = await client.scan(cursor, "MATCH", globForPrefix(prefix), "COUNT", 500);
        cursor = next;
        if (keys.length === 0) continue;
        const pipeline = client.pipeline();
        for (const key of keys) pipeline.get(key).ttl(key);
        const replies = (await pipeline.exec()) ?? [];
        for (let i = 0; i < keys.length; i++) {
          const [error, value] = replies[2 * i] ?? [];
          if (!error && typeof value === "string") found.push({ key: keys[i], value, expiresAt: expiresAtFromTtl(replies[2 * i + 1]?.[1], nowMs) });
        }
      } while (cursor !== "0");
      return found.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    },
    close: async function redisClose() {
      (await connecting).disconnect();
    },
  };
}

// An unanswered command means a black-holed connection (failover, expired NAT entry) that TCP may
// take minutes to notice; open a new one rather than queue behind it
function reconnectOnTimeout(client: Redis): (error: unknown) => never {
  return (error) => {
    if (error instanceof Error && error.message === "Command timed out" && client.status === "ready") client.disconnect(true);
    throw error;
  };
}

/** `{ kind: "redis", url? }`: Redis over TCP; `url` defaults to `GATEHOUSE_REDIS_URL`. Node only. */
export const redisStore: StoreKind<RedisStoreOptions> = {
  kind: "redis",
  cli: { select: { flag: "redis", field: "url", env: "GATEHOUSE_REDIS_URL", help: "URL  Redis over TCP" }, options: [] },
  parse(section, env, name) {
    const url = requiredOption(section, env, "url", "GATEHOUSE_REDIS_URL", name, "a `redis://` url");
    if (!/^rediss?:\/\//.test(url)) throw new ConfigError(name("url"), "expected a `redis://` or `rediss://` url");
    return { url };
  },
  create: (options) => createRedisStore(options),
  describe(options) {
    const { hostname, port } = new URL(options.url);
    return `redis ${hostname}:${port || 6379}`;
  },
};
