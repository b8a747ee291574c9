import { systemClock, type Clock } from "../clock/index.ts";
import { raceDeadline } from "./deadline.ts";
import { ConfigError } from "../errors.ts";
import { CircuitBreaker, type BreakerState } from "./breaker.ts";
import { ValueCache, type CachedValue } from "./cache.ts";
import { resolveRevocationConfig, type RevocationConfig, type RevocationFailMode } from "./config.ts";
import { isPlainPart, parseBefore, revocationKey, type RevocationKind } from "./keys.ts";
import { storeErrorOf } from "./store-error.ts";
import type { RevocationStore } from "./store.ts";
import { memoryStore } from "./stores/memory.ts";

/** The verified JWT payload; only these claims are read. */
export interface RevocationClaims {
  readonly iss?: unknown;
  readonly sub?: unknown;
  readonly jti?: unknown;
  readonly sid?: unknown;
  readonly client_id?: unknown;
  readonly iat?: unknown;
  readonly exp?: unknown;
}

/** Why a request was denied at this stage. */
export type RevocationReason = "revoked" | "revocation_unavailable" | "invalid_claim";

/**
 * Why the store gave no usable answer: `timeout` (no reply within `deadlineMs`), `breaker_open`
 * (not asked: the circuit breaker is open), `bad_reply` (an error reply, or values of the wrong
 * shape), `connection` (it could not be reached, or the connection failed).
 */
export type RevocationStoreError = "timeout" | "breaker_open" | "bad_reply" | "connection";

/** The checker's answer for one token. Never thrown, always returned. */
export interface RevocationCheckResult {
  /** Whether the pipeline may continue. */
  readonly allow: boolean;
  /**
   * `not_revoked` and `revoked` are answers (possibly from cache or, with `failMode: "stale"`, a
   * stale cache); `store_error` means no answer (see `storeError`); `invalid_claim` means an
   * identifying claim was neither a string nor a number, so the token cannot be checked.
   */
  readonly outcome: "not_revoked" | "revoked" | "store_error" | "invalid_claim";
  /** Set when `allow` is false. */
  readonly reason?: RevocationReason;
  /** Which revocation matched, when `outcome` is `revoked`. */
  readonly revokedBy?: RevocationKind;
  /** The claim at fault, when `outcome` is `invalid_claim`. */
  readonly field?: string;
  /** Whether the answer came from this isolate's cache without asking the store. */
  readonly cached: boolean;
  /** Time spent in this stage, in ms. */
  readonly ms: number;
  /** Set when the store gave no answer: which fail mode decided (`stale` falls back to `closed`). */
  readonly failModeUsed?: RevocationFailMode;
  /** Set when the store gave no answer: why. */
  readonly storeError?: RevocationStoreError;
  /**
   * Age of the answer used, in ms: 0 for a fresh store reply, else the age of the oldest cached
   * answer it rests on (a cache hit, or with `failModeUsed: "stale"` the stale answer served).
   * Absent when nothing was looked up (no identifying claim, an invalid one, the store failed).
   */
  readonly ageMs?: number;
}

/** Built once at start by `createRevocationChecker`; `check` is called once per request. */
export interface RevocationChecker {
  /**
   * Whether the token these claims come from is revoked. At most one store round trip, bounded by
   * `deadlineMs`; never rejects. `failMode` is the route's, default `closed`.
   */
  check(claims: RevocationClaims, failMode?: RevocationFailMode): Promise<RevocationCheckResult>;
  /**
   * The answer `check` would give from this isolate's cache alone, synchronously, or `undefined`
   * when it would have to ask the store (then call `check`). Only the last fresh `not_revoked`
   * answer for the same frozen claims object (the verifier's) is reused: it lasts until the first
   * of its keys stops being fresh, and any revocation this isolate learns of ends it at once, so it
   * never outlives what `check` would serve. Never throws (issue #22).
   */
  checkCached(claims: RevocationClaims): RevocationCheckResult | undefined;
  /** The circuit breaker's state, for health endpoints and tests. */
  breakerState(): BreakerState;
  /** Forgets every cached answer (tests, or after a bulk `unrevoke`). */
  clearCache(): void;
  /** The store in use. */
  readonly store: RevocationStore;
}

/** What the adapter supplies. */
export interface RevocationCheckerDeps {
  /** Built by the adapter from `config.store`; may be omitted only for `kind: "memory"`. */
  readonly store?: RevocationStore;
  /** Default: the system clock. */
  readonly clock?: Clock;
}

const KINDS: readonly RevocationKind[] = ["jti", "sub", "sid", "client"];
const CLAIMS = ["jti", "sub", "sid", "client_id"] as const;
// The synchronous answer for a token with nothing to revoke it by: built once
const NOTHING_TO_REVOKE: RevocationCheckResult = Object.freeze({ allow: true, outcome: "not_revoked", cached: true, ms: 0 });

/** What one verified claims object needs from this stage, worked out on its first check. */
interface ClaimsMemo {
  /** The store keys of its jti, sub, sid and client_id, in that order, with their kinds. */
  readonly keys: readonly string[];
  readonly kinds: readonly RevocationKind[];
  /** Until then (clock ms) the last `not_revoked` answer stands, if `epoch` is still current. */
  notRevokedUntil: number;
  epoch: number;
}

/**
 * Validates `config` (throwing `ConfigError`) and returns a checker with its own bounded cache and
 * circuit breaker. Call once per isolate, at start.
 *
 * How an answer is cached, per key: "no entry" is reused for `ttlMs`; an entry that revokes the
 * token is reused until the entry itself would expire, since a token never becomes unrevoked by
 * waiting; any answer may serve `failMode: "stale"` for `maxStaleMs` after its freshness.
 */
export function createRevocationChecker(config: RevocationConfig, deps: RevocationCheckerDeps = {}): RevocationChecker {
  const resolved = resolveRevocationConfig(config);
  const clock = deps.clock ?? systemClock;
  let store = deps.store;
  if (store === undefined) {
    if (resolved.store.kind !== "memory") {
      throw new ConfigError("revocation.store", `a \`${resolved.store.kind}\` store must be built by the adapter and passed in`);
    }
    store = memoryStore.create({}, { env: {} });
  }
  const theStore = store;
  const { ttlMs, deadlineMs, maxStaleMs } = resolved;
  const lifetimeMs = resolved.maxTokenLifetimeSeconds * 1000;
  const cache = new ValueCache(resolved.cacheMaxEntries);
  const breaker = new CircuitBreaker(resolved.breaker.failureThreshold, resolved.breaker.cooldownMs);
  // Per frozen claims object (the verifier hands the same one out for a cached token); `epoch`
  // moves whenever this isolate stores a revoking value or forgets its cache, ending every memo
  const memos = new WeakMap<object, ClaimsMemo>();
  let epoch = 0;
  // Issuers are few; their escaped form is computed once
  const issuerKeys = new Map<string, Record<RevocationKind, string>>();

  function keyFor(kind: RevocationKind, issuer: string, id: string): string {
    let prefixes = issuerKeys.get(issuer);
    if (prefixes === undefined) {
      prefixes = { jti: revocationKey("jti", issuer, ""), sub: revocationKey("sub", issuer, ""), sid: revocationKey("sid", issuer, ""), client: revocationKey("client", issuer, "") };
      if (issuerKeys.size < 64) issuerKeys.set(issuer, prefixes);
    }
    return isPlainPart(id) ? prefixes[kind] + id : revocationKey(kind, issuer, id);
  }

  function keepUntil(kind: RevocationKind, value: string, claims: RevocationClaims, now: number, freshUntil: number): number {
    let until: number;
    if (kind === "jti") until = typeof claims.exp === "number" && Number.isFinite(claims.exp) ? claims.exp * 1000 : now + lifetimeMs;
    else {
      const before = parseBefore(value);
      until = before === undefined ? now + lifetimeMs : before * 1000 + lifetimeMs;
    }
    return Math.max(until, freshUntil + maxStaleMs);
  }

  async function check(claims: RevocationClaims, failMode: RevocationFailMode = "closed"): Promise<RevocationCheckResult> {
    const started = performance.now();
    // A revocation learned while this check waits on the store must end the memo this check leaves
    const startEpoch = epoch;
    try {
      let memo = memos.get(claims);
      if (memo === undefined) {
        const found = keysOf(claims);
        if (typeof found === "string") return invalidClaim(found, started);
        memo = found;
        if (Object.isFrozen(claims)) memos.set(claims, memo);
      }
      const { keys, kinds } = memo;
      const now = clock.now();
      // A token with nothing to revoke it by (no jti, sub, sid or client_id) cannot be revoked
      if (keys.length === 0) return notRevoked(memo, Infinity, startEpoch, true, started);

      const values: Array<string | null> = new Array(keys.length);
      const cachedEntries: Array<CachedValue | undefined> = new Array(keys.length);
      let missing: number[] | undefined;
      // Every entry was stored fresh for `ttlMs`, so its age is how far `now` is past `freshUntil - ttlMs`
      let ageMs = 0;
      for (let i = 0; i < keys.length; i++) {
        const entry = cache.get(keys[i], now);
        cachedEntries[i] = entry;
        if (entry !== undefined) {
          // A cached revocation decides at once, fresh or not: waiting never unrevokes a token
          if (entry.value !== null && revokes(kinds[i], entry.value, claims)) return answer(kinds[i], true, started, ageOf(entry, now, ttlMs));
          if (now < entry.freshUntil) {
            values[i] = entry.value;
            ageMs = Math.max(ageMs, ageOf(entry, now, ttlMs));
            continue;
          }
        }
        (missing ??= []).push(i);
      }
      if (missing === undefined) {
        const revokedBy = firstRevoking(kinds, values, claims);
        if (revokedBy !== undefined) return answer(revokedBy, true, started, ageMs);
        let until = Infinity;
        for (let i = 0; i < cachedEntries.length; i++) until = Math.min(until, cachedEntries[i]!.freshUntil);
        return notRevoked(memo, until, startEpoch, true, started, ageMs);
      }

      let storeError: RevocationStoreError;
      if (!breaker.tryAcquire(now)) {
        storeError = "breaker_open";
      } else {
        const wanted = missing.length === keys.length ? keys : missing.map((i) => keys[i]);
        const reply = await lookup(theStore, wanted, deadlineMs, now);
        if (Array.isArray(reply)) {
          breaker.succeeded();
          const at = clock.now();
          const freshUntil = at + ttlMs;
          for (let j = 0; j < missing.length; j++) {
            const i = missing[j];
            const value = reply[j];
            values[i] = value;
            if (value !== null) epoch++;
            cache.set(keys[i], {
              value,
              freshUntil,
              keepUntil: value === null ? freshUntil + maxStaleMs : keepUntil(kinds[i], value, claims, at, freshUntil),
            });
          }
          const revokedBy = firstRevoking(kinds, values, claims);
          if (revokedBy !== undefined) return answer(revokedBy, false, started, ageMs);
          let until = freshUntil;
          for (let i = 0; i < cachedEntries.length; i++) {
            const entry = cachedEntries[i];
            if (entry !== undefined && now < entry.freshUntil) until = Math.min(until, entry.freshUntil);
          }
          return notRevoked(memo, until, startEpoch, false, started, ageMs);
        }
        breaker.failed(clock.now());
        storeError = reply.error;
      }

      if (failMode === "stale") {
        let usable = true;
        for (const i of missing) {
          const entry = cachedEntries[i];
          if (entry === undefined || now >= entry.freshUntil + maxStaleMs) {
            usable = false;
            break;
          }
          values[i] = entry.value;
          ageMs = Math.max(ageMs, ageOf(entry, now, ttlMs));
        }
        if (usable) {
          const revokedBy = firstRevoking(kinds, values, claims);
          return revokedBy === undefined
            ? { allow: true, outcome: "not_revoked", cached: true, ms: since(started), failModeUsed: "stale", storeError, ageMs }
            : { allow: false, outcome: "revoked", reason: "revoked", revokedBy, cached: true, ms: since(started), failModeUsed: "stale", storeError, ageMs };
        }
      }
      return unavailable(failMode === "open" ? "open" : "closed", storeError, started);
    } catch {
      // Unreachable by design; if a bug lands here the token is refused, never waved through
      return unavailable("closed", "connection", started);
    }
  }

  // The store keys of a token, or the name of the claim that cannot be one
  function keysOf(claims: RevocationClaims): ClaimsMemo | string {
    const issuer = claims.iss === undefined ? "" : claims.iss;
    if (typeof issuer !== "string") return "iss";
    const keys: string[] = [];
    const kinds: RevocationKind[] = [];
    for (let i = 0; i < CLAIMS.length; i++) {
      const raw = claims[CLAIMS[i]];
      if (raw === undefined || raw === null) continue;
      const id = typeof raw === "string" ? raw : typeof raw === "number" && Number.isFinite(raw) ? String(raw) : undefined;
      if (id === undefined) return CLAIMS[i];
      keys.push(keyFor(KINDS[i], issuer, id));
      kinds.push(KINDS[i]);
    }
    return { keys, kinds, notRevokedUntil: -Infinity, epoch: -1 };
  }

  function notRevoked(memo: ClaimsMemo, until: number, atEpoch: number, cached: boolean, started: number, ageMs?: number): RevocationCheckResult {
    memo.notRevokedUntil = until;
    memo.epoch = atEpoch;
    return { allow: true, outcome: "not_revoked", cached, ms: since(started), ageMs };
  }

  return {
    check,
    checkCached: function checkCached(claims) {
      const memo = memos.get(claims);
      if (memo === undefined || memo.epoch !== epoch) return undefined;
      const until = memo.notRevokedUntil;
      if (until === Infinity) return NOTHING_TO_REVOKE;
      const now = clock.now();
      // The age `check` would report: since the oldest of the answers read, i.e. the first to go stale
      return now < until ? { allow: true, outcome: "not_revoked", cached: true, ms: 0, ageMs: Math.max(0, now - (until - ttlMs)) } : undefined;
    },
    breakerState: () => breaker.state(clock.now()),
    clearCache: () => {
      epoch++;
      cache.clear();
    },
    store: theStore,
  };
}

/**
 * Whether a stored value revokes the token. A `jti` entry always does. A subject, session or
 * client entry holds the "revoked before" time T in Unix seconds and revokes tokens with `iat` < T.
 * A token without a numeric `iat`, or an entry whose value is not a time, counts as revoked: we
 * cannot show the token is newer, so we fail closed.
 */
function revokes(kind: RevocationKind, value: string, claims: RevocationClaims): boolean {
  if (kind === "jti") return true;
  const before = parseBefore(value);
  if (before === undefined) return true;
  const iat = claims.iat;
  return typeof iat !== "number" || !Number.isFinite(iat) || iat < before;
}

function firstRevoking(kinds: readonly RevocationKind[], values: ReadonlyArray<string | null>, claims: RevocationClaims): RevocationKind | undefined {
  for (let i = 0; i < kinds.length; i++) {
    const value = values[i];
    if (value !== null && value !== undefined && revokes(kinds[i], value, claims)) return kinds[i];
  }
  return undefined;
}

// Races the store against the deadline. Resolves, never rejects: the values, or why there are none.
// Exported for the entity loader (#17), which reads its records with the same deadline and errors
export function lookup(store: RevocationStore, keys: readonly string[], deadlineMs: number, nowMs: number): Promise<Array<string | null> | { error: RevocationStoreError }> {
  return raceDeadline<Array<string | null>, Array<string | null> | { error: RevocationStoreError }>(
    deadlineMs,
    (signal) => store.getMany(keys, signal, nowMs),
    (values) => (isReply(values, keys.length) ? values : { error: "bad_reply" }),
    (error) => ({ error: storeErrorOf(error) }),
    { error: "timeout" },
  );
}

function isReply(values: unknown, length: number): values is Array<string | null> {
  if (!Array.isArray(values) || values.length !== length) return false;
  for (const value of values) if (value !== null && typeof value !== "string") return false;
  return true;
}

function answer(revokedBy: RevocationKind | undefined, cached: boolean, started: number, ageMs?: number): RevocationCheckResult {
  return revokedBy === undefined
    ? { allow: true, outcome: "not_revoked", cached, ms: since(started), ageMs }
    : { allow: false, outcome: "revoked", reason: "revoked", revokedBy, cached, ms: since(started), ageMs };
}

function ageOf(entry: CachedValue, now: number, ttlMs: number): number {
  return Math.max(0, now - (entry.freshUntil - ttlMs));
}

function unavailable(failModeUsed: "open" | "closed", storeError: RevocationStoreError, started: number): RevocationCheckResult {
  return failModeUsed === "open"
    ? { allow: true, outcome: "store_error", cached: false, ms: since(started), failModeUsed, storeError }
    : { allow: false, outcome: "store_error", reason: "revocation_unavailable", cached: false, ms: since(started), failModeUsed, storeError };
}

function invalidClaim(field: string, started: number): RevocationCheckResult {
  return { allow: false, outcome: "invalid_claim", reason: "invalid_claim", field, cached: false, ms: since(started) };
}

function since(started: number): number {
  return Math.round((performance.now() - started) * 1000) / 1000;
}
