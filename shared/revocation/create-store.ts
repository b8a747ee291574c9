import { ConfigError } from "../errors.ts";
import type { RevocationStoreConfig } from "./config.ts";
import type { RevocationStore } from "./store.ts";
import { createKvStore, type KvNamespaceLike } from "./stores/kv.ts";
import { createMemoryStore } from "./stores/memory.ts";
import { createUpstashStore } from "./stores/upstash.ts";

/**
 * Builds the store `config` names from the kinds that run everywhere (`memory`, `upstash`, `kv`),
 * reading secrets and bindings from `env` (a Worker's `env`, or `process.env` in Node). `redis`
 * and `dynamodb` need Node and live in `functions/stores` (`createNodeStore`). Throws
 * `ConfigError` naming the missing field. Call once at start.
 */
export function createStoreFromConfig(config: RevocationStoreConfig, env: Readonly<Record<string, unknown>> = {}): RevocationStore {
  switch (config.kind) {
    case "memory":
      return createMemoryStore();
    case "upstash": {
      const url = config.url ?? env.UPSTASH_REDIS_REST_URL;
      const token = config.token ?? env.UPSTASH_REDIS_REST_TOKEN;
      if (typeof url !== "string" || url === "") throw new ConfigError("revocation.store.url", "expected the Upstash REST url, or `UPSTASH_REDIS_REST_URL` in the environment");
      if (typeof token !== "string" || token === "") throw new ConfigError("revocation.store.token", "expected the Upstash REST token in `UPSTASH_REDIS_REST_TOKEN`");
      return createUpstashStore({ url, token });
    }
    case "kv": {
      const binding = config.binding ?? "REVOCATIONS";
      const namespace = env[binding] as Partial<KvNamespaceLike> | undefined;
      if (typeof namespace?.get !== "function" || typeof namespace.list !== "function") {
        throw new ConfigError("revocation.store.binding", `expected a KV namespace bound as \`${binding}\``);
      }
      return createKvStore(namespace as KvNamespaceLike);
    }
    default:
      throw new ConfigError("revocation.store.kind", `\`${config.kind}\` needs Node; build it with \`createNodeStore\` from functions/stores`);
  }
}
