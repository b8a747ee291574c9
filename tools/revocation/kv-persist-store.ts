import { ConfigError } from "../../shared/errors.ts";
import { createKvStore, requiredOption, type KvNamespaceLike, type RevocationStore, type StoreKind } from "../../shared/revocation/index.ts";

/** Options of the CLI's `kv` kind: Miniflare's persistence directory and the namespace id. */
export interface KvPersistOptions {
  readonly dir: string;
  /** Default `REVOCATIONS`. */
  readonly namespace: string;
}

/**
 * The CLI's `kv` kind (local dev): Miniflare's persisted KV (`DIR/kv/<id>`), opened with the same
 * directory and id as `wrangler dev` and the local Worker, so they see this write. It stands in for
 * the runtime `kv` kind, which reads a Worker binding the CLI does not have. Miniflare starts on
 * the first call; `close` disposes it.
 */
export const kvPersistStore: StoreKind<KvPersistOptions> = {
  kind: "kv",
  cli: {
    select: { flag: "kv-persist", field: "dir", env: "GATEHOUSE_KV_PERSIST", help: "DIR  Miniflare's KV, local dev" },
    options: [{ flag: "kv-namespace", field: "namespace", help: "ID  namespace id, default REVOCATIONS" }],
  },
  parse(section, env, name) {
    const dir = requiredOption(section, env, "dir", "GATEHOUSE_KV_PERSIST", name, "Miniflare's persistence directory");
    const namespace = typeof section.namespace === "string" && section.namespace !== "" ? section.namespace : "REVOCATIONS";
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(namespace)) throw new ConfigError(name("namespace"), `expected a namespace id, got \`${namespace}\``);
    return { dir, namespace };
  },
  create(options): RevocationStore {
    const opening = openPersisted(options);
    const store = createKvStore(lazyNamespace(opening.then((mf) => mf.namespace)));
    return { ...store, close: () => opening.then((mf) => mf.dispose(), () => {}) };
  },
  describe: (options) => `kv ${options.namespace} in ${options.dir}`,
};

async function openPersisted(options: KvPersistOptions): Promise<{ namespace: KvNamespaceLike; dispose(): Promise<void> }> {
  const { Miniflare } = await import("miniflare");
  const mf = new Miniflare({
    modules: true,
    script: "export default { fetch() { return new Response(null, { status: 204 }) } }",
    kvNamespaces: { KV: options.namespace },
    kvPersist: options.dir,
  });
  return { namespace: (await mf.getKVNamespace("KV")) as unknown as KvNamespaceLike, dispose: () => mf.dispose() };
}

// Every call waits for Miniflare to be up, so the store can be built synchronously like any other
function lazyNamespace(ready: Promise<KvNamespaceLike>): KvNamespaceLike {
  return {
    get: (key) => ready.then((ns) => ns.get(key)),
    put: (key, value, options) => ready.then((ns) => ns.put(key, value, options)),
    delete: (key) => ready.then((ns) => ns.delete(key)),
    list: (options) => ready.then((ns) => ns.list(options)),
  };
}
