import { importJWK, type JWK } from "jose";
import type { Clock } from "../clock/index.ts";
import { joinFlight } from "./join-flight.ts";
import type { JwkSet, ResolvedIssuer, ResolvedKeySource } from "./config.ts";
// Optional: a build may leave discovery out (tools/build/features.ts)
import { createDiscoveryKeyResolver } from "../features/index.ts";
import { deepFreeze, isRecord } from "./internal.ts";
import { readLimitedText } from "./read-limited.ts";
import { tokenFailure, type TokenFailure } from "./reasons.ts";

/** The subset of `fetch` the JWKS cache uses; inject one in tests or to add tracing. */
export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

/**
 * A key set as persisted between isolates, with the time it was fetched (ms since the epoch). An
 * issuer's discovery document is persisted the same way, under its document URL: `jwksUri` holds
 * the `jwks_uri` it named (checked again when read back) and `jwks` is empty.
 */
export interface PersistedJwks {
  jwks: JwkSet;
  fetchedAtMs: number;
  jwksUri?: string;
}

/**
 * Optional second-level store for fetched key sets, so a fresh edge isolate does not start with a
 * fetch. The Worker adapter can back it with KV (`kvJwksPersistence`) or the Cache API. Lambda and
 * Node need none: module scope survives warm invocations. Failures are ignored (the network is the
 * source of truth) and stored sets are only used while within the issuer's max stale age.
 */
export interface JwksPersistence {
  get(uri: string): Promise<PersistedJwks | undefined>;
  put(uri: string, record: PersistedJwks): Promise<void>;
}

/** A key found for one token, with the age of the key set it came from (remote issuers only). */
export type KeyLookup = { readonly ok: true; readonly key: CryptoKey | Uint8Array; readonly jwksAgeSeconds?: number } | TokenFailure;

/** Everything a key lookup depends on besides the issuer. */
export interface KeyResolverDeps {
  readonly clock: Clock;
  readonly fetch: FetchLike;
  readonly persistence: JwksPersistence | null;
  readonly registry: JwksRegistry;
}

interface KeyCandidate {
  readonly jwk: JWK;
  /** Imported keys by `alg`; `null` when the JWK cannot be imported for that algorithm. */
  readonly imported: Map<string, Promise<CryptoKey | null>>;
}

/** A fetch or store read shared by every request that needs it (single flight). */
interface Flight {
  readonly promise: Promise<void>;
  readonly startedMs: number;
}

interface JwksEntry {
  keys: KeyCandidate[] | null;
  fetchedAtMs: number;
  lastAttemptMs: number;
  inflight: Flight | null;
  restore: Flight | null;
}

/**
 * Remote key sets by JWKS URI. One per isolate is the point; tests make their own. Entries carry
 * fetch times of one clock, so a registry serves verifiers of that clock only: the first verifier
 * binds it, and a verifier with another clock is refused (issue #14).
 */
export interface JwksRegistry {
  readonly entries: Map<string, JwksEntry>;
  /** The clock the entries' times were read from; `null` until a verifier binds it. */
  clock: Clock | null;
}

/** Creates an empty key-set registry (for tests, or to isolate tenants). */
export function createJwksRegistry(): JwksRegistry {
  return { entries: new Map(), clock: null };
}

const sharedRegistries = new WeakMap<Clock, JwksRegistry>();

/**
 * The isolate-wide registry verifiers of `clock` use by default. Module scope outlives one request
 * in workerd, Lambda and Node, so keys are fetched once per isolate, not once per request.
 */
export function sharedJwksRegistry(clock: Clock): JwksRegistry {
  let registry = sharedRegistries.get(clock);
  if (registry === undefined) sharedRegistries.set(clock, (registry = { entries: new Map(), clock }));
  return registry;
}

const MAX_JWKS_BYTES = 512 * 1024;
const MAX_KEYS = 100;

/**
 * Builds the key lookup for one issuer. Remote issuers share the registry entry of their JWKS URI:
 * one fetch at a time (single flight), a refresh when the set is older than `jwksCacheSeconds` that
 * runs in the background while the cached set keeps answering (stale-while-revalidate, for up to
 * `jwksMaxStaleSeconds` past freshness), at most one fetch per `jwksCooldownMs` for unknown `kid`s or
 * after a failure, and past the max stale age a wait for the endpoint, then `jwks_unavailable`.
 * Only the configured URI is fetched: the token's `jku`, `x5u`, `jwk` and `x5c` are never read.
 */
export function createKeyResolver(issuer: ResolvedIssuer, deps: KeyResolverDeps): (alg: string, kid: string | undefined) => Promise<KeyLookup> {
  const source = issuer.keys;
  if (source.kind === "secret") {
    const found: KeyLookup = { ok: true, key: source.secret };
    return async function resolveSecret() {
      return found;
    };
  }
  if (source.kind === "inline") {
    const candidates = toCandidates(source.jwks.keys);
    return async function resolveInlineKey(alg, kid) {
      const match = selectKey(candidates, alg, kid);
      if (match === undefined) return tokenFailure("unknown_kid", "kid", issuer.name);
      return importFor(match, alg, issuer.name, undefined);
    };
  }
  // Keys through the discovery document, or none (every token of the issuer is introspected)
  if (source.kind === "discovery") return createDiscoveryKeyResolver(issuer, source, deps, remoteKey);
  if (source.kind === "none") {
    const none = tokenFailure("unknown_kid", "kid", issuer.name);
    return async function resolveNoKey() {
      return none;
    };
  }
  return function resolveRemoteKey(alg, kid) {
    return remoteKey(source, issuer.name, deps, alg, kid);
  };
}

async function remoteKey(
  source: Extract<ResolvedKeySource, { kind: "remote" }>,
  issuerName: string,
  deps: KeyResolverDeps,
  alg: string,
  kid: string | undefined,
): Promise<KeyLookup> {
  const { clock } = deps;
  let entry = deps.registry.entries.get(source.uri);
  if (entry === undefined) {
    entry = { keys: null, fetchedAtMs: 0, lastAttemptMs: -Infinity, inflight: null, restore: null };
    if (source.preload !== null) {
      // Build-time keys count as fetched now: the issuer's JWKS was declared stable.
      entry.keys = toCandidates(source.preload.keys);
      entry.fetchedAtMs = clock.now();
    }
    deps.registry.entries.set(source.uri, entry);
  }
  if (entry.keys === null && deps.persistence !== null) {
    entry.restore ??= { promise: restore(entry, source, deps.persistence, clock), startedMs: clock.now() };
    await joinFlight(entry.restore, source.timeoutMs, clock);
  }

  let now = clock.now();
  if (entry.keys === null || now - entry.fetchedAtMs >= source.freshMs) {
    // After a failure, wait out the cooldown: an outage then costs one timeout per cooldown, not one per request.
    if (entry.inflight !== null || now - entry.lastAttemptMs >= source.cooldownMs) {
      // Stale-while-revalidate (#21): keys within their max stale age answer now, while one refresh
      // runs behind them; only keys past it (or none) make the request wait for the endpoint
      if (entry.keys !== null && now - entry.fetchedAtMs < source.freshMs + source.maxStaleMs) {
        startRefresh(entry, source, deps);
      } else {
        await refresh(entry, source, deps);
        now = clock.now();
      }
    }
  }
  if (entry.keys === null || now - entry.fetchedAtMs >= source.freshMs + source.maxStaleMs) {
    return tokenFailure("jwks_unavailable", "jwks", issuerName);
  }

  let match = selectKey(entry.keys, alg, kid);
  if (match === undefined && (entry.inflight !== null || now - entry.lastAttemptMs >= source.cooldownMs)) {
    // An unknown kid may be a rotation we have not seen yet. The cooldown keeps random kids from
    // turning into a fetch storm against the IdP.
    await refresh(entry, source, deps);
    now = clock.now();
    match = selectKey(entry.keys, alg, kid);
  }
  if (match === undefined) return tokenFailure("unknown_kid", "kid", issuerName);
  return importFor(match, alg, issuerName, Math.max(0, Math.floor((now - entry.fetchedAtMs) / 1000)));
}

/** Starts a refresh, or answers the one in flight, and waits for it at most until its deadline. */
function refresh(entry: JwksEntry, source: Extract<ResolvedKeySource, { kind: "remote" }>, deps: KeyResolverDeps): Promise<void> {
  return joinFlight(startRefresh(entry, source, deps), source.timeoutMs, deps.clock);
}

/** The refresh in flight for `entry`, started now if there is none (single flight). Never rejects. */
function startRefresh(entry: JwksEntry, source: Extract<ResolvedKeySource, { kind: "remote" }>, deps: KeyResolverDeps): Flight {
  const now = deps.clock.now();
  // A flight older than its deadline belongs to a request the runtime cancelled: start a new one.
  if (entry.inflight !== null && now - entry.inflight.startedMs <= source.timeoutMs) return entry.inflight;
  entry.lastAttemptMs = now;
  const flight = fetchJwks(source, deps.fetch).then((jwks) => {
    if (jwks === undefined) return;
    entry.keys = toCandidates(jwks.keys);
    entry.fetchedAtMs = deps.clock.now();
    if (deps.persistence !== null) {
      try {
        deps.persistence.put(source.uri, { jwks, fetchedAtMs: entry.fetchedAtMs }).catch(() => undefined);
      } catch {
        // A failing store only costs the next isolate a fetch.
      }
    }
  });
  const current: Flight = {
    promise: flight.finally(() => {
      if (entry.inflight === current) entry.inflight = null;
    }),
    startedMs: now,
  };
  entry.inflight = current;
  return current;
}

/** Fetches and checks the key set; `undefined` on any failure (never throws, never rejects). */
async function fetchJwks(source: Extract<ResolvedKeySource, { kind: "remote" }>, fetchFn: FetchLike): Promise<JwkSet | undefined> {
  try {
    // One deadline for the headers and the whole body
    const signal = AbortSignal.timeout(source.timeoutMs);
    const response = await fetchFn(source.uri, {
      method: "GET",
      headers: { accept: "application/jwk-set+json, application/json" },
      // A redirect would make us fetch a URL nobody configured.
      redirect: "manual",
      signal,
    });
    if (response.status < 200 || response.status > 299) {
      await response.body?.cancel().catch(() => undefined);
      return undefined;
    }
    const text = await readLimitedText(response, MAX_JWKS_BYTES, signal);
    return text === undefined ? undefined : publicKeysOf(JSON.parse(text));
  } catch {
    return undefined;
  }
}

async function restore(entry: JwksEntry, source: Extract<ResolvedKeySource, { kind: "remote" }>, persistence: JwksPersistence, clock: Clock): Promise<void> {
  try {
    const record: unknown = await persistence.get(source.uri);
    if (!isRecord(record) || typeof record.fetchedAtMs !== "number" || !Number.isFinite(record.fetchedAtMs)) return;
    const jwks = publicKeysOf(record.jwks);
    const now = clock.now();
    const fetchedAtMs = Math.min(record.fetchedAtMs, now);
    if (jwks === undefined || entry.keys !== null || now - fetchedAtMs >= source.freshMs + source.maxStaleMs) return;
    entry.keys = toCandidates(jwks.keys);
    entry.fetchedAtMs = fetchedAtMs;
  } catch {
    // A broken store is the same as an empty one.
  }
}

/** Keeps the public signature keys of a JWKS document; `undefined` when none is left. */
function publicKeysOf(document: unknown): JwkSet | undefined {
  if (!isRecord(document) || !Array.isArray(document.keys)) return undefined;
  const keys: JWK[] = [];
  for (const key of document.keys) {
    if (keys.length === MAX_KEYS) break;
    // Private or symmetric material in a JWKS is never used: it would allow alg confusion.
    if (!isRecord(key) || typeof key.kty !== "string" || key.kty === "oct" || key.d !== undefined || key.k !== undefined) continue;
    if (key.use !== undefined && key.use !== "sig") continue;
    keys.push(key as JWK);
  }
  return keys.length === 0 ? undefined : deepFreeze({ keys });
}

function toCandidates(keys: readonly JWK[]): KeyCandidate[] {
  return keys.map((jwk) => ({ jwk, imported: new Map() }));
}

/** The key for `kid` usable with `alg`; without a `kid`, the only usable key or nothing. */
function selectKey(candidates: readonly KeyCandidate[] | null, alg: string, kid: string | undefined): KeyCandidate | undefined {
  if (candidates === null) return undefined;
  if (kid !== undefined) return candidates.find((c) => c.jwk.kid === kid && usableWith(c.jwk, alg));
  let only: KeyCandidate | undefined;
  for (const candidate of candidates) {
    if (!usableWith(candidate.jwk, alg)) continue;
    // Several keys and no kid: guessing would let any of them sign; refuse instead.
    if (only !== undefined) return undefined;
    only = candidate;
  }
  return only;
}

function usableWith(jwk: JWK, alg: string): boolean {
  if (jwk.use !== undefined && jwk.use !== "sig") return false;
  if (jwk.alg !== undefined && jwk.alg !== alg) return false;
  if (Array.isArray(jwk.key_ops) && !jwk.key_ops.includes("verify")) return false;
  switch (alg) {
    case "RS256": case "RS384": case "RS512": case "PS256": case "PS384": case "PS512":
      return jwk.kty === "RSA";
    case "ES256":
      return jwk.kty === "EC" && jwk.crv === "P-256";
    case "ES384":
      return jwk.kty === "EC" && jwk.crv === "P-384";
    case "ES512":
      return jwk.kty === "EC" && jwk.crv === "P-521";
    case "EdDSA": case "Ed25519":
      return jwk.kty === "OKP" && jwk.crv === "Ed25519";
    default:
      return false;
  }
}

async function importFor(candidate: KeyCandidate, alg: string, issuerName: string, jwksAgeSeconds: number | undefined): Promise<KeyLookup> {
  let pending = candidate.imported.get(alg);
  if (pending === undefined) {
    pending = importJWK({ ...candidate.jwk, alg }, alg).then(
      (key) => (key instanceof Uint8Array ? null : key),
      () => null,
    );
    candidate.imported.set(alg, pending);
  }
  const key = await pending;
  if (key === null) return tokenFailure("key_unusable", "kid", issuerName);
  return jwksAgeSeconds === undefined ? { ok: true, key } : { ok: true, key, jwksAgeSeconds };
}

/** The part of a KV namespace (Workers KV, or anything alike) `kvJwksPersistence` needs. */
export interface KvLike {
  get(key: string): Promise<string | null>;
  put(key: string, value: string, options?: { expirationTtl?: number }): Promise<void>;
}

/**
 * Persists key sets in a KV namespace, so a new Worker isolate starts with keys instead of a fetch.
 * Entries expire after `expirationTtlSeconds` (default 604800, the longest max stale age; KV needs at least 60).
 */
export function kvJwksPersistence(kv: KvLike, options: { prefix?: string; expirationTtlSeconds?: number } = {}): JwksPersistence {
  const prefix = options.prefix ?? "gatehouse:jwks:";
  const expirationTtl = Math.max(60, options.expirationTtlSeconds ?? 604_800);
  return {
    async get(uri) {
      const text = await kv.get(prefix + uri);
      if (text === null) return undefined;
      const record: unknown = JSON.parse(text);
      return isRecord(record) ? (record as unknown as PersistedJwks) : undefined;
    },
    put(uri, record) {
      return kv.put(prefix + uri, JSON.stringify(record), { expirationTtl });
    },
  };
}

/** Keeps key sets in a plain Map: the default reader's example, and handy in tests. */
export function memoryJwksPersistence(): JwksPersistence & { readonly records: Map<string, PersistedJwks> } {
  const records = new Map<string, PersistedJwks>();
  return {
    records,
    async get(uri) {
      return records.get(uri);
    },
    async put(uri, record) {
      records.set(uri, record);
    },
  };
}
