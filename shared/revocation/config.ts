import { expectObject, refuseUnknownOptions } from "../config/fields.ts";
import { ConfigError, describeValue } from "../errors.ts";
import { S3_BUNDLES_ONLY } from "./store-kind.ts";

/**
 * What the checker does when the store cannot answer in time (timeout, error, breaker open):
 * - `closed`: deny with `revocation_unavailable` (the adapter answers 503). The default.
 * - `open`: allow, and the result says so (`failModeUsed: "open"`) for the audit line.
 * - `stale`: use the last answer this isolate saw for the token's keys, if it is no older than
 *   `maxStaleMs` past its freshness; otherwise behave as `closed`.
 */
export type RevocationFailMode = "closed" | "open" | "stale";

/** Which store holds the revocation list. Each kind is built by a small factory (see `index.ts`). */
export type RevocationStoreConfig =
  /** In this isolate's memory: for development and tests only, not shared between instances. */
  | { readonly kind: "memory" }
  /**
   * Upstash Redis over its REST API (Workers, Lambda). `url` and `token` default to the
   * `UPSTASH_REDIS_REST_URL` / `UPSTASH_REDIS_REST_TOKEN` environment values the adapter passes;
   * keep the token out of config files.
   */
  | { readonly kind: "upstash"; readonly url?: string; readonly token?: string }
  /** Redis over TCP (Lambda in a VPC, Node); `url` defaults to `GATEHOUSE_REDIS_URL`. */
  | { readonly kind: "redis"; readonly url?: string }
  /** A Cloudflare KV namespace bound to the Worker as `binding` (default `REVOCATIONS`). */
  | { readonly kind: "kv"; readonly binding?: string }
  /**
   * A DynamoDB table with partition key `pk` (string) and TTL attribute `exp` (the SAM template
   * creates it). `table` defaults to `GATEHOUSE_REVOCATION_TABLE`; `region` to the Lambda's own;
   * `endpoint` is for DynamoDB Local or dynalite.
   */
  | { readonly kind: "dynamodb"; readonly table?: string; readonly region?: string; readonly endpoint?: string }
  /** A key-value store over plain HTTP (see `stores/http.ts`); `url` defaults to `GATEHOUSE_STORE_HTTP_URL`. */
  | { readonly kind: "http"; readonly url?: string; readonly token?: string };

/**
 * An S3 bucket (or an S3-compatible server), for policy bundles only (`policyBundle.store`): a read
 * takes tens of ms, too slow for a revocation lookup on every request. Objects are named
 * `prefix` + key; `region` defaults to `AWS_REGION`; `endpoint` is for S3-compatible or local
 * servers (MinIO, s3rver), which usually need `forcePathStyle` (its default when `endpoint` is set).
 */
export interface S3StoreConfig {
  readonly kind: "s3";
  readonly bucket: string;
  /** Prepended to every object key, e.g. `gatehouse/`; default none. */
  readonly prefix?: string;
  readonly region?: string;
  readonly endpoint?: string;
  /** Bucket in the path (`endpoint/bucket/key`) rather than the host name; default true with `endpoint`, else false. */
  readonly forcePathStyle?: boolean;
}

/** Any store section: the revocation kinds, and those that serve only some purposes (`s3`). */
export type StoreConfig = RevocationStoreConfig | S3StoreConfig;

/** Revocation settings, as written in `GatehouseConfig.revocation` (JSON-able). */
export interface RevocationConfig {
  readonly store: RevocationStoreConfig;
  /**
   * How long a "not revoked" answer is reused in this isolate, in ms; default 5000, from 0 to
   * 300000. This bounds how late a revocation takes effect (plus KV's own propagation delay).
   */
  readonly ttlMs?: number;
  /** Deadline for one store lookup, in ms; default 50, from 1 to 10000. */
  readonly deadlineMs?: number;
  /** How long past its freshness a cached answer may serve `failMode: "stale"`, in ms; default 60000, from 0 to 86400000. */
  readonly maxStaleMs?: number;
  /** Keys remembered per isolate (least recently used are dropped), default 10000, from 1 to 1000000. */
  readonly cacheMaxEntries?: number;
  /**
   * The longest lifetime of any token the issuers mint, in seconds; default 86400, from 60 to
   * 31536000. Subject, session and client revocations are kept this long past their time.
   */
  readonly maxTokenLifetimeSeconds?: number;
  /** The circuit breaker that stops calling a store that keeps failing. */
  readonly breaker?: {
    /** Consecutive failed lookups that open the breaker; default 5, from 1 to 1000. */
    readonly failureThreshold?: number;
    /** How long the breaker stays open before one probe is let through, in ms; default 5000, from 100 to 600000. */
    readonly cooldownMs?: number;
  };
}

/** `RevocationConfig` checked and with every default filled in. Built once at start. */
export interface ResolvedRevocationConfig {
  readonly store: RevocationStoreConfig;
  readonly ttlMs: number;
  readonly deadlineMs: number;
  readonly maxStaleMs: number;
  readonly cacheMaxEntries: number;
  readonly maxTokenLifetimeSeconds: number;
  readonly breaker: { readonly failureThreshold: number; readonly cooldownMs: number };
}

const STORE_KINDS = ["memory", "upstash", "redis", "kv", "dynamodb", "http"] as const;
const STORE_FIELDS: Record<StoreConfig["kind"], readonly string[]> = {
  memory: ["kind"],
  upstash: ["kind", "url", "token"],
  redis: ["kind", "url"],
  kv: ["kind", "binding"],
  dynamodb: ["kind", "table", "region", "endpoint"],
  http: ["kind", "url", "token"],
  s3: ["kind", "bucket", "prefix", "region", "endpoint", "forcePathStyle"],
};

/**
 * Checks `config` and fills in defaults; throws `ConfigError` naming the field (under `path`,
 * default `revocation`). The caller's object is not modified.
 */
export function resolveRevocationConfig(config: unknown, path = "revocation"): ResolvedRevocationConfig {
  const record = expectObject(config, path);
  refuseUnknownOptions(record, path, ["store", "ttlMs", "deadlineMs", "maxStaleMs", "cacheMaxEntries", "maxTokenLifetimeSeconds", "breaker"]);
  const breaker = record.breaker === undefined ? {} : expectObject(record.breaker, `${path}.breaker`);
  refuseUnknownOptions(breaker, `${path}.breaker`, ["failureThreshold", "cooldownMs"]);
  return {
    store: resolveStoreConfig(record.store, `${path}.store`),
    ttlMs: integer(record.ttlMs, `${path}.ttlMs`, 5000, 0, 300_000),
    deadlineMs: integer(record.deadlineMs, `${path}.deadlineMs`, 50, 1, 10_000),
    maxStaleMs: integer(record.maxStaleMs, `${path}.maxStaleMs`, 60_000, 0, 86_400_000),
    cacheMaxEntries: integer(record.cacheMaxEntries, `${path}.cacheMaxEntries`, 10_000, 1, 1_000_000),
    maxTokenLifetimeSeconds: integer(record.maxTokenLifetimeSeconds, `${path}.maxTokenLifetimeSeconds`, 86_400, 60, 31_536_000),
    breaker: {
      failureThreshold: integer(breaker.failureThreshold, `${path}.breaker.failureThreshold`, 5, 1, 1000),
      cooldownMs: integer(breaker.cooldownMs, `${path}.breaker.cooldownMs`, 5000, 100, 600_000),
    },
  };
}

/** Checks one `store` entry; a copy, so later changes to the caller's object do not leak in. */
export function resolveStoreConfig(config: unknown, path?: string): RevocationStoreConfig;
/** The same for `policyBundle.store`, which may also name `s3`. */
export function resolveStoreConfig(config: unknown, path: string, purpose: "policyBundle"): StoreConfig;
export function resolveStoreConfig(config: unknown, path = "revocation.store", purpose: "revocation" | "policyBundle" = "revocation"): StoreConfig {
  // A store's URL, password in it, is what gets pasted here in place of `{ kind, url }`
  const record = expectObject(config, path, "an object", { secret: true });
  const kind = record.kind;
  const kinds: readonly string[] = purpose === "policyBundle" ? [...STORE_KINDS, "s3"] : STORE_KINDS;
  if (typeof kind !== "string" || !kinds.includes(kind)) {
    const why = kind === "s3" ? `: ${S3_BUNDLES_ONLY}` : "";
    throw new ConfigError(`${path}.kind`, `expected one of ${kinds.map((k) => `\`${k}\``).join(", ")}, got ${describeValue(kind)}${why}`);
  }
  const typedKind = kind as StoreConfig["kind"];
  refuseUnknownOptions(record, path, STORE_FIELDS[typedKind]);
  const copy: Record<string, string | boolean> = { kind };
  for (const field of STORE_FIELDS[typedKind]) {
    if (field === "kind" || record[field] === undefined) continue;
    const value = record[field];
    if (field === "forcePathStyle") {
      if (typeof value !== "boolean") throw new ConfigError(`${path}.${field}`, `expected true or false, got ${describeValue(value)}`);
      copy[field] = value;
      continue;
    }
    if (typeof value !== "string" || value === "") throw new ConfigError(`${path}.${field}`, `expected a non-empty string, got ${describeValue(value)}`);
    if ((field === "url" || field === "endpoint") && !isUrl(value, typedKind === "redis" ? ["redis:", "rediss:"] : ["http:", "https:"])) {
      const schemes = typedKind === "redis" ? "`redis://` or `rediss://`" : "`http://` or `https://`";
      throw new ConfigError(`${path}.${field}`, `expected a ${schemes} url, got ${describeValue(field === "url" && typedKind === "redis" ? redactUrl(value) : value)}`);
    }
    copy[field] = value;
  }
  if (typedKind === "s3" && copy.bucket === undefined) throw new ConfigError(`${path}.bucket`, "expected the bucket name");
  return copy as unknown as StoreConfig;
}

function isUrl(value: string, protocols: readonly string[]): boolean {
  try {
    return protocols.includes(new URL(value).protocol);
  } catch {
    return false;
  }
}

// A Redis URL may carry a password; never echo it back in an error
function redactUrl(value: string): string {
  return value.replace(/\/\/[^@/]*@/, "//***@");
}

function integer(value: unknown, path: string, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(path, `expected an integer from ${min} to ${max}, got ${describeValue(value)}`);
  }
  return value;
}
