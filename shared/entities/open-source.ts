import type { ResolvedConfig } from "../config/types.ts";
import { ConfigError } from "../errors.ts";
import { openStore, type StoreRegistry } from "../revocation/registry.ts";
import type { StoreEnv } from "../revocation/store-kind.ts";
import type { RevocationStore } from "../revocation/store.ts";
import { coalescingStore } from "./coalescing-store.ts";
import { httpEntitySource } from "./http-source.ts";
import { storeEntitySource, type EntitySource } from "./source.ts";

/** What an adapter passes to `createAuthorizer` for revocation and entities together. */
export interface StoreDepsForAuthorizer {
  readonly revocationStore?: RevocationStore;
  readonly entitySource?: EntitySource;
  /** Whether both read one store, so the entity read joins the revocation lookup's round trip. */
  readonly entitiesShareStore?: boolean;
}

/**
 * Opens the entity source `config.entities.source` names, beside the revocation store the adapter
 * already opened (#17). When both sections name the same store, one client serves both, wrapped so
 * that the lookups of one request go out as one round trip. `http` reads its `Authorization` value
 * from the environment variable `authSecret` names. Synchronous unless the store's client loads lazily.
 * @throws ConfigError naming the field.
 */
export function openEntityDeps(registry: StoreRegistry, config: ResolvedConfig, revocationStore: RevocationStore | undefined, deps: { readonly env: StoreEnv; readonly fetch?: (input: string, init: RequestInit) => Promise<Response> }): StoreDepsForAuthorizer | Promise<StoreDepsForAuthorizer> {
  const base = revocationStore === undefined ? {} : { revocationStore };
  const entities = config.entities ?? null;
  if (entities === null) return base;
  const section = entities.source;
  if (section.kind === "http") {
    let authorization: string | null = null;
    if (section.authSecret !== undefined) {
      const value = deps.env[section.authSecret];
      if (typeof value !== "string" || value === "") throw new ConfigError("entities.source.authSecret", `expected the secret \`${section.authSecret}\` in the environment`);
      authorization = value;
    }
    const source = httpEntitySource({ url: section.url, authorization, timeoutMs: section.timeoutMs ?? entities.deadlineMs, maxRecordBytes: entities.maxRecordBytes, ...(deps.fetch ? { fetch: deps.fetch } : {}) });
    return { ...base, entitySource: source };
  }
  const revocationSection = config.revocation?.store;
  if (revocationStore !== undefined && revocationSection !== undefined && sameSection(revocationSection, section)) {
    const shared = coalescingStore(revocationStore);
    return { revocationStore: shared, entitySource: storeEntitySource(shared), entitiesShareStore: true };
  }
  const opened = openStore(registry, section, { env: deps.env }, "entities.source");
  const withSource = (store: RevocationStore): StoreDepsForAuthorizer => ({ ...base, entitySource: storeEntitySource(store) });
  return "then" in opened ? opened.then((later) => withSource(later.store)) : withSource(opened.store);
}

// The same store: same kind and options, key order aside
function sameSection(a: object, b: object): boolean {
  const canon = (x: object) => JSON.stringify(Object.entries(x).sort(([k], [l]) => (k < l ? -1 : 1)));
  return canon(a) === canon(b);
}
