import { expectObject, refuseUnknownOptions } from "../config/fields.ts";
import { ConfigError } from "../errors.ts";
import type { RevocationFailMode, RevocationStoreConfig } from "../revocation/config.ts";
import { S3_BUNDLES_ONLY } from "../revocation/store-kind.ts";

/**
 * An `http` source: an endpoint the user runs that answers `POST { uids: ["User::\"alice\"", …] }`
 * with `{ entities: [{ uid, attrs, parents }, …] }` (absent uids are left out).
 */
export interface HttpEntitySourceConfig {
  readonly kind: "http";
  /** The endpoint; Gatehouse never fetches a URL a token names, only this one. */
  readonly url: string;
  /** Environment variable (Worker secret, Lambda env) holding the `Authorization` header's value; default none. */
  readonly authSecret?: string;
  /** Deadline for one batch, in ms; default the section's `deadlineMs`. */
  readonly timeoutMs?: number;
}

/**
 * Where entity records live: a store kind as for revocation (same options), or `http`. The store
 * kind `http` (a key-value store over HTTP, #18) is not a source: here `http` is the batch endpoint.
 */
export type EntitySourceConfig = Exclude<RevocationStoreConfig, { readonly kind: "http" }> | HttpEntitySourceConfig;

/**
 * Live entity data (issue #17), as written in `GatehouseConfig.entities` (JSON-able). For the request's
 * principal and resource and their ancestors, records `{ uid, attrs, parents }` are read from `source`
 * (keys `gh:en:Type::"id"`) and merged over the claim-built principal and path-built resource. A record
 * wins over what the token and the path say, except attributes named in `claimsAuthoritative`.
 */
export interface EntitiesConfig {
  readonly source: EntitySourceConfig;
  /** How long a record is reused in this isolate, in ms, per entity type (`"*"` for the rest); default 5000, from 0 to 300000. */
  readonly ttlMs?: number | Readonly<Record<string, number>>;
  /** How long "no such record" is reused, in ms; default 1000, from 0 to 300000. */
  readonly negativeTtlMs?: number;
  /** Deadline for one lookup (one level of the walk), in ms; default 50, from 1 to 10000. */
  readonly deadlineMs?: number;
  /** Levels of parents loaded above the principal and resource; default 4, from 0 to 16. */
  readonly depth?: number;
  /** Most records loaded for one request (ancestors included); more is refused with `entity_invalid`; default 64, from 1 to 1024. */
  readonly maxEntities?: number;
  /** Largest record, in bytes; larger is refused with `entity_invalid`; default 65536, from 256 to 1048576. */
  readonly maxRecordBytes?: number;
  /** Most direct parents of one record; default 32, from 1 to 1024. */
  readonly maxParents?: number;
  /** Records kept per isolate (least recently used dropped); default 10000, from 1 to 1000000. */
  readonly cacheMaxEntries?: number;
  /** Bytes of record text kept per isolate; default 8388608 (8 MiB), from 65536 to 268435456. */
  readonly cacheMaxBytes?: number;
  /** How long past its freshness a record may serve fail mode `stale`, in ms; default 60000, from 0 to 86400000. */
  readonly maxStaleMs?: number;
  /** What happens when the source cannot answer in time; default the route's fail mode. */
  readonly failMode?: RevocationFailMode;
  /** Principal attributes whose claim value wins over the record's (`"parents"`: the token's groups win too); default none. */
  readonly claimsAuthoritative?: readonly string[];
  /** The circuit breaker in front of the source (as for revocation). */
  readonly breaker?: { readonly failureThreshold?: number; readonly cooldownMs?: number };
}

/** `EntitiesConfig` with every default filled in. */
export interface ResolvedEntitiesConfig {
  readonly source: EntitySourceConfig;
  readonly ttlMs: number;
  readonly ttlByType: ReadonlyMap<string, number>;
  readonly negativeTtlMs: number;
  readonly deadlineMs: number;
  readonly depth: number;
  readonly maxEntities: number;
  readonly maxRecordBytes: number;
  readonly maxParents: number;
  readonly cacheMaxEntries: number;
  readonly cacheMaxBytes: number;
  readonly maxStaleMs: number;
  readonly failMode: RevocationFailMode | null;
  readonly claimsAuthoritative: ReadonlySet<string>;
  readonly breaker: { readonly failureThreshold: number; readonly cooldownMs: number };
}

const FIELDS = ["source", "ttlMs", "negativeTtlMs", "deadlineMs", "depth", "maxEntities", "maxRecordBytes", "maxParents", "cacheMaxEntries", "cacheMaxBytes", "maxStaleMs", "failMode", "claimsAuthoritative", "breaker"];

/** Checks `GatehouseConfig.entities` and fills in defaults. @throws ConfigError naming the field. */
export function resolveEntitiesConfig(raw: unknown, path = "entities"): ResolvedEntitiesConfig {
  const config = expectObject(raw, path);
  refuseUnknownOptions(config, path, FIELDS);
  // As a revocation store: a URL with a password in it is what gets pasted in place of the object
  const source = expectObject(config.source, `${path}.source`, "an object", { secret: true }) as unknown as EntitySourceConfig;
  if (typeof source.kind !== "string") throw new ConfigError(`${path}.source.kind`, "expected a store kind (`memory`, `kv`, `upstash`, `redis`, `dynamodb`) or `http`");
  if ((source.kind as string) === "s3") throw new ConfigError(`${path}.source.kind`, `expected a store kind for entity reads, got \`s3\`: ${S3_BUNDLES_ONLY}`);
  if (source.kind === "http") {
    if (typeof source.url !== "string" || !/^https?:\/\//.test(source.url)) throw new ConfigError(`${path}.source.url`, "expected an http(s) URL");
    if (source.authSecret !== undefined && (typeof source.authSecret !== "string" || source.authSecret === "")) throw new ConfigError(`${path}.source.authSecret`, "expected the name of an environment variable");
    if (source.timeoutMs !== undefined) integer(source.timeoutMs, `${path}.source.timeoutMs`, 0, 1, 10_000);
  }
  let ttlMs = 5000;
  const ttlByType = new Map<string, number>();
  if (typeof config.ttlMs === "object" && config.ttlMs !== null) {
    for (const [type, value] of Object.entries(config.ttlMs as Record<string, unknown>)) {
      const ms = integer(value, `${path}.ttlMs.${type}`, 5000, 0, 300_000);
      if (type === "*") ttlMs = ms;
      else ttlByType.set(type, ms);
    }
  } else ttlMs = integer(config.ttlMs, `${path}.ttlMs`, 5000, 0, 300_000);
  const failMode = config.failMode === undefined ? null : config.failMode;
  if (failMode !== null && failMode !== "closed" && failMode !== "open" && failMode !== "stale") throw new ConfigError(`${path}.failMode`, "expected `closed`, `open` or `stale`");
  const authoritative = config.claimsAuthoritative ?? [];
  if (!Array.isArray(authoritative) || authoritative.some((a) => typeof a !== "string" || a === "")) throw new ConfigError(`${path}.claimsAuthoritative`, "expected an array of attribute names");
  const breaker = config.breaker === undefined ? {} : expectObject(config.breaker, `${path}.breaker`);
  return Object.freeze({
    source,
    ttlMs,
    ttlByType,
    negativeTtlMs: integer(config.negativeTtlMs, `${path}.negativeTtlMs`, 1000, 0, 300_000),
    deadlineMs: integer(config.deadlineMs, `${path}.deadlineMs`, 50, 1, 10_000),
    depth: integer(config.depth, `${path}.depth`, 4, 0, 16),
    maxEntities: integer(config.maxEntities, `${path}.maxEntities`, 64, 1, 1024),
    maxRecordBytes: integer(config.maxRecordBytes, `${path}.maxRecordBytes`, 65_536, 256, 1_048_576),
    maxParents: integer(config.maxParents, `${path}.maxParents`, 32, 1, 1024),
    cacheMaxEntries: integer(config.cacheMaxEntries, `${path}.cacheMaxEntries`, 10_000, 1, 1_000_000),
    cacheMaxBytes: integer(config.cacheMaxBytes, `${path}.cacheMaxBytes`, 8_388_608, 65_536, 268_435_456),
    maxStaleMs: integer(config.maxStaleMs, `${path}.maxStaleMs`, 60_000, 0, 86_400_000),
    failMode,
    claimsAuthoritative: new Set(authoritative as string[]),
    breaker: {
      failureThreshold: integer(breaker.failureThreshold, `${path}.breaker.failureThreshold`, 5, 1, 1000),
      cooldownMs: integer(breaker.cooldownMs, `${path}.breaker.cooldownMs`, 5000, 100, 600_000),
    },
  });
}

function integer(value: unknown, field: string, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) throw new ConfigError(field, `expected an integer from ${min} to ${max}, got \`${String(value)}\``);
  return value;
}
