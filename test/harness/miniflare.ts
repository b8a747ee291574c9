import { Miniflare, type MiniflareOptions } from "miniflare";

export interface WorkerUnderTest {
  readonly mf: Miniflare;
  /** Sends a request to the Worker through real workerd. */
  fetch(path: string, init?: RequestInit): Promise<Response>;
  /** A KV namespace binding, for seeding and inspecting state from the test. */
  kv(binding: string): Promise<KVNamespaceLike>;
  stop(): Promise<void>;
}

export interface KVNamespaceLike {
  get(key: string): Promise<string | null>;
  put(key: string, value: string, options?: { expirationTtl?: number; expiration?: number }): Promise<void>;
  delete(key: string): Promise<void>;
}

export interface StartWorkerOptions {
  /** Path to an ES-module Worker bundle (e.g. wrangler's dry-run output). */
  scriptPath?: string;
  /** Or the module source itself. */
  script?: string;
  kvNamespaces?: string[];
  bindings?: Record<string, unknown>;
  compatibilityDate?: string;
  compatibilityFlags?: string[];
  /** Further Miniflare options (service bindings, persistence, ...). */
  extra?: Partial<MiniflareOptions>;
}

/** Starts a Worker bundle in Miniflare (real workerd) with KV bindings. */
export async function startWorker(options: StartWorkerOptions): Promise<WorkerUnderTest> {
  const base = {
    modules: true,
    compatibilityDate: options.compatibilityDate ?? "2025-09-01",
    compatibilityFlags: options.compatibilityFlags ?? [],
    kvNamespaces: options.kvNamespaces ?? [],
    bindings: options.bindings ?? {},
    ...options.extra,
  };
  const mf = new Miniflare(
    (options.scriptPath
      ? { ...base, scriptPath: options.scriptPath }
      : { ...base, script: options.script ?? "" }) as MiniflareOptions,
  );
  await mf.ready;
  return {
    mf,
    fetch: (path, init) => mf.dispatchFetch(new URL(path, "http://gatehouse.test").toString(), init as never) as unknown as Promise<Response>,
    kv: async (binding) => (await mf.getKVNamespace(binding)) as unknown as KVNamespaceLike,
    stop: () => mf.dispose(),
  };
}
