import { ConfigError } from "../../errors.ts";
import type { StoreKind } from "../store-kind.ts";
import type { RevocationStore, RevocationStoreEntry } from "../store.ts";

/**
 * The part of a Cloudflare `KVNamespace` binding this store uses, declared structurally so
 * `shared/` needs no workers-types. A real binding satisfies it.
 */
export interface KvNamespaceLike {
  get(key: string): Promise<string | null>;
  put(key: string, value: string, options?: { expiration?: number; metadata?: unknown }): Promise<void>;
  delete(key: string): Promise<void>;
  list(options?: { prefix?: string; cursor?: string; limit?: number }): Promise<{
    keys: Array<{ name: string; expiration?: number; metadata?: unknown }>;
    list_complete: boolean;
    cursor?: string;
  }>;
}

// KV refuses an expiration less than 60 s ahead (https://developers.cloudflare.com/kv/api/write-key-value-pairs/#expiring-keys)
const KV_MIN_EXPIRATION_SECONDS = 60;
// KV's limit on a key's serialised metadata (https://developers.cloudflare.com/kv/platform/limits/)
const KV_METADATA_MAX_BYTES = 1024;

/**
 * Cloudflare Workers KV through a namespace binding. Reads for one token run in parallel (one
 * round trip of wall time). KV is eventually consistent: a write is visible at once in the
 * location that made it, and elsewhere typically within 60 s, on top of the checker's `ttlMs`.
 * The value is also kept in the key's metadata so `list` can show it without a read per key.
 * KV has no conditional write, so this store has no `putIfAbsent`: a caller that must write a key
 * once (the DPoP `jti` replay check) reads then writes, and two locations can both pass between
 * the two. Across colos that check is best-effort.
 */
export function createKvStore(namespace: KvNamespaceLike): RevocationStore {
  return {
    name: "kv",
    getMany: function kvGetMany(keys) {
      if (keys.length === 1) return namespace.get(keys[0]).then((value) => [value]);
      return Promise.all(keys.map((key) => namespace.get(key)));
    },
    put: async function kvPut(key, value, expiresAtSeconds) {
      // KV refuses an expiration under 60 s from now by its own (real) clock, whatever clock the caller keeps
      const earliest = Math.floor(Date.now() / 1000) + KV_MIN_EXPIRATION_SECONDS;
      // KV caps metadata at 1024 bytes; a larger value (a policy bundle) is read back by `list` with a get
      const metadata = new TextEncoder().encode(JSON.stringify({ value })).length <= KV_METADATA_MAX_BYTES ? { metadata: { value } } : {};
      await namespace.put(key, value, { expiration: Math.max(expiresAtSeconds, earliest), ...metadata });
    },
    delete: async function kvDelete(key) {
      await namespace.delete(key);
    },
    list: async function kvList(prefix) {
      const found: RevocationStoreEntry[] = [];
      let cursor: string | undefined;
      for (;;) {
        const page = await namespace.list(cursor === undefined ? { prefix } : { prefix, cursor });
        for (const key of page.keys) {
          const metadata = key.metadata as { value?: unknown } | undefined;
          const value = typeof metadata?.value === "string" ? metadata.value : await namespace.get(key.name);
          if (value !== null) found.push({ key: key.name, value, expiresAt: key.expiration });
        }
        if (page.list_complete || !page.cursor) break;
        cursor = page.cursor;
      }
      return found;
    },
  };
}

/**
 * `{ kind: "kv", binding? }`: the Worker's KV namespace bound as `binding` (default `REVOCATIONS`),
 * read from the Worker's `env`.
 */
export const kvStore: StoreKind<{ readonly binding: string; readonly namespace: KvNamespaceLike }> = {
  kind: "kv",
  parse(section, env, name) {
    const binding = typeof section.binding === "string" && section.binding !== "" ? section.binding : "REVOCATIONS";
    const namespace = env[binding] as Partial<KvNamespaceLike> | undefined;
    if (typeof namespace?.get !== "function" || typeof namespace.list !== "function") throw new ConfigError(name("binding"), `expected a KV namespace bound as \`${binding}\``);
    return { binding, namespace: namespace as KvNamespaceLike };
  },
  create: (options) => createKvStore(options.namespace),
  describe: (options) => `kv ${options.binding}`,
};
