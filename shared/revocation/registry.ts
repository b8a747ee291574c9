import { ConfigError } from "../errors.ts";
import type { StoreConfig } from "./config.ts";
import type { StoreDeps, StoreEnv, StoreKind, StorePurpose } from "./store-kind.ts";
import type { RevocationStore } from "./store.ts";
import { kvStore } from "./stores/kv.ts";
import { memoryStore } from "./stores/memory.ts";

/**
 * A registry entry: the kind itself, or a loader for kinds whose client should be loaded only
 * when the configuration names them (Upstash's client; in Node, ioredis and the AWS SDK).
 */
export type StoreEntry = StoreKind | (() => Promise<StoreKind>);

/** kind → store. The pipeline's adapters, the middleware, the CLI and the dev server all open stores through one. */
export type StoreRegistry = Readonly<Record<string, StoreEntry>>;

/** A store built from a registry, and its secret-free name for logs and CLI output. */
export interface OpenedStore {
  readonly store: RevocationStore;
  readonly description: string;
}

/**
 * The kinds that need no client library: `memory` and `kv` (a Worker binding). The Worker's and the
 * middleware's default, so a Worker bundle carries no store client it was not asked for (a bundler
 * inlines even a lazily imported one: Upstash's client alone is ~24 KB gzipped).
 */
export const edgeStores: StoreRegistry = {
  memory: memoryStore,
  kv: kvStore,
};

/**
 * Builds the store a configuration's `revocation.store` section names, with the kind's parser
 * (options fall back to `deps.env`). Synchronous for a kind registered as itself; a Promise for one
 * behind a loader. `purpose` defaults to the section `path` names (`policyBundle.store` opens for
 * policy bundles). @throws ConfigError naming the field (`revocation.store.url`), or the kind,
 * also for a kind that does not serve `purpose` (`s3` outside `policyBundle`).
 */
export function openStore(registry: StoreRegistry, config: StoreConfig, deps: StoreDeps, path = "revocation.store", purpose: StorePurpose = purposeOf(path)): OpenedStore | Promise<OpenedStore> {
  const entry = registry[config.kind];
  if (entry === undefined) {
    throw new ConfigError(`${path}.kind`, `\`${config.kind}\` is not available here; expected one of ${Object.keys(registry).map((k) => `\`${k}\``).join(", ")}`);
  }
  const section = config as unknown as Readonly<Record<string, unknown>>;
  const open = (kind: StoreKind): OpenedStore => {
    checkPurpose(kind, purpose, `${path}.kind`);
    return openKind(kind, section, deps, (field) => `${path}.${field}`);
  };
  return typeof entry === "function" ? entry().then(open) : open(entry);
}

/** @throws ConfigError naming `field` when `kind` does not serve `purpose`. */
export function checkPurpose(kind: StoreKind, purpose: StorePurpose, field: string): void {
  if (!servesPurpose(kind, purpose)) throw new ConfigError(field, `expected a store kind for ${PURPOSE_NAMES[purpose]}, got \`${kind.kind}\`: ${kind.only?.because}`);
}

/** Whether `kind` may be opened for `purpose`. */
export function servesPurpose(kind: StoreKind, purpose: StorePurpose): boolean {
  return kind.only === undefined || kind.only.purposes.includes(purpose);
}

const PURPOSE_NAMES: Record<StorePurpose, string> = { revocation: "revocation lookups", entities: "entity reads", policyBundle: "policy bundles" };

function purposeOf(path: string): StorePurpose {
  return path.startsWith("policyBundle") ? "policyBundle" : path.startsWith("entities") ? "entities" : "revocation";
}

/** Parses, creates and describes with one kind. */
export function openKind<O>(kind: StoreKind<O>, section: Readonly<Record<string, unknown>>, deps: StoreDeps, name: (field: string) => string): OpenedStore {
  const options = kind.parse(section, deps.env, name);
  return { store: kind.create(options, deps), description: kind.describe(options) };
}

/** Every kind of a registry, loaded (the CLI builds its flags from them). */
export function loadStoreKinds(registry: StoreRegistry): Promise<StoreKind[]> {
  return Promise.all(Object.values(registry).map((entry) => (typeof entry === "function" ? entry() : entry)));
}

/** The environment as stores read it. */
export type { StoreEnv };
