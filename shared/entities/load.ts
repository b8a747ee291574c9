import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex, utf8ToBytes } from "@noble/hashes/utils.js";
import type { Clock } from "../clock/index.ts";
import type { EntityJson } from "../policy/types.ts";
import { CircuitBreaker, type BreakerState } from "../revocation/breaker.ts";
import { ValueCache } from "../revocation/cache.ts";
import { lookup, type RevocationStoreError } from "../revocation/check.ts";
import type { RevocationFailMode } from "../revocation/config.ts";
import type { RevocationStore } from "../revocation/store.ts";
import { checkRecordText } from "./check-record.ts";
import type { ResolvedEntitiesConfig } from "./config.ts";
import type { EntityShapes } from "./shapes.ts";
import type { EntitySource } from "./source.ts";
import { MAX_UID_KEY_LENGTH, parseUidKey, uidKey } from "./uid.ts";

/** Where one entity of a decision came from, for the audit line. */
export interface LoadedEntity {
  /** `User::"alice"`. */
  readonly uid: string;
  /** `cache` (this isolate, fresh), `store` (read now), `stale` (fail mode `stale`), `static` (built in), `absent` (no record). */
  readonly source: "cache" | "store" | "stale" | "static" | "absent";
  /** Age of the record used, in ms (0 when read now, or static). */
  readonly ageMs: number;
}

/** The loader's answer for one request. Never thrown. */
export type EntityLoadResult =
  | {
      readonly ok: true;
      /** The records found, checked; absent and static entities are not in it. */
      readonly records: readonly EntityJson[];
      readonly loaded: readonly LoadedEntity[];
      /** A digest over the records used (uid and content hash), so a decision can be reproduced. */
      readonly version: string;
      /** Set when the source failed and a fail mode let the request go on: `open` or `stale`. */
      readonly failModeUsed?: RevocationFailMode;
      readonly storeError?: RevocationStoreError;
    }
  | { readonly ok: false; readonly reason: "entity_invalid"; readonly uid: string; readonly message: string; readonly loaded: readonly LoadedEntity[] }
  | { readonly ok: false; readonly reason: "entities_unavailable"; readonly storeError: RevocationStoreError; readonly loaded: readonly LoadedEntity[] };

/** Built once per isolate by `createEntityLoader`. */
export interface EntityLoader {
  /**
   * The answer from this isolate's cache alone, synchronously, or `undefined` when a record must be
   * read (then call `load`). `roots` are the principal's and resource's uids as `{ type, id }`.
   */
  loadCached(roots: readonly { type: string; id: string }[]): EntityLoadResult | undefined;
  /** The records of `roots` and their ancestors to the configured depth; at most one source read per level, each within the deadline. Never rejects. */
  load(roots: readonly { type: string; id: string }[], failMode: RevocationFailMode): Promise<EntityLoadResult>;
  /** Starts loading `roots` now, so a read can share a round trip with the revocation lookup (#17); never rejects. */
  prefetch(roots: readonly { type: string; id: string }[]): void;
  /**
   * Puts `text` (a record, or `null` for none) into the cache for `uid` as if the source had just
   * answered it, checked the same way: fixtures of policy tests, `gatehouse check`, warming.
   */
  remember(uid: string, text: string | null): void;
  /**
   * How long ago (ms, ≥ 0) `result` was answered by `loadCached`, when it may be used again as it
   * is: the cache has not changed since and every record in it is still fresh by the clock. `undefined`
   * otherwise (then call `loadCached`). Allocates nothing.
   */
  reusableFor(result: EntityLoadResult): number | undefined;
  breakerState(): BreakerState;
  clearCache(): void;
  readonly source: EntitySource;
}

/** What the loader is given besides its configuration. */
export interface EntityLoaderDeps {
  readonly source: EntitySource;
  readonly clock: Clock;
  /** The schema's entity part; `null` checks structure only. */
  readonly shapes: EntityShapes | null;
  /** Whether a uid is one of the policy set's static entities (never read from the source). */
  readonly isStatic: (type: string, id: string) => boolean;
  /**
   * The cache holds every record there is (fixtures given with `remember`): a uid not in it has no
   * record, answered synchronously, and the source is never asked. Default `false`.
   */
  readonly complete?: boolean;
}

// One uid's last answer in this isolate: the checked record, "none", or why it is unusable
interface Held {
  readonly entity: EntityJson | null;
  readonly invalid: string | null;
  readonly hash: string;
  // The hash's two halves as numbers, mixed into the request's data version without building text
  readonly h1: number;
  readonly h2: number;
  readonly bytes: number;
  readonly storedAt: number;
  readonly freshUntil: number;
  readonly keepUntil: number;
}

type Fetched = Map<string, Held> | { readonly error: RevocationStoreError };

// One uid's answer within a walk, and where it came from
interface Answer {
  readonly held: Held;
  readonly from: "cache" | "store" | "stale";
}

// A level the source could not answer: why, and the fail mode that applies
interface LevelFailure {
  readonly error: RevocationStoreError;
  readonly mode: "open" | "closed";
}

type Level = Map<string, Answer> & { staleError?: RevocationStoreError };

// When a cached answer was made, the cache generation it saw, and the first instant one of its records goes stale
interface Stamp {
  readonly at: number;
  readonly generation: number;
  readonly freshUntil: number;
}

const NONE_HASH = "-";

/** Validates nothing itself (see `resolveEntitiesConfig`); builds the cache, breaker and walk. */
export function createEntityLoader(config: ResolvedEntitiesConfig, deps: EntityLoaderDeps): EntityLoader {
  const { source, clock, shapes, isStatic } = deps;
  const limits = { maxRecordBytes: config.maxRecordBytes, maxParents: config.maxParents };
  const cache = new ValueCache<Held>(config.cacheMaxEntries, config.cacheMaxBytes, (held) => held.bytes + 64);
  const breaker = new CircuitBreaker(config.breaker.failureThreshold, config.breaker.cooldownMs);
  // uid → the read that will answer it: concurrent misses for one uid make one read
  const inflight = new Map<string, Promise<Fetched>>();
  // The lookup races a store; an entity source only needs `getMany`
  const asStore = source as unknown as RevocationStore;

  // Bumped on every change to the cache, so a reused answer never hides a newer record
  let generation = 0;
  const stamps = new WeakMap<EntityLoadResult, Stamp>();
  const put = (uid: string, held: Held) => {
    generation++;
    cache.set(uid, held);
  };

  const ttlOf = (type: string) => config.ttlByType.get(type) ?? config.ttlMs;

  function hold(uid: string, type: string, text: string | null, now: number): Held {
    if (text === null) {
      const freshUntil = now + config.negativeTtlMs;
      return { entity: null, invalid: null, hash: NONE_HASH, h1: 0, h2: 0, bytes: 0, storedAt: now, freshUntil, keepUntil: freshUntil + config.maxStaleMs };
    }
    const checked = checkRecordText(text, uid, limits, shapes);
    // An oversize record is not kept: its text would crowd the cache; the refusal is cached briefly
    const hash = checked.ok ? bytesToHex(sha256(utf8ToBytes(text))).slice(0, 16) : NONE_HASH;
    const freshUntil = now + (checked.ok ? ttlOf(type) : config.negativeTtlMs);
    const h1 = checked.ok ? parseInt(hash.slice(0, 8), 16) : 0;
    const h2 = checked.ok ? parseInt(hash.slice(8, 16), 16) : 0;
    return { entity: checked.ok ? checked.entity : null, invalid: checked.ok ? null : checked.message, hash, h1, h2, bytes: checked.ok ? text.length : 0, storedAt: now, freshUntil, keepUntil: freshUntil + config.maxStaleMs };
  }

  // Reads `uids` (none of them in flight) in one round trip; fills the cache
  function read(uids: readonly string[], types: readonly string[], now: number): Promise<Fetched> {
    if (!breaker.tryAcquire(now)) return Promise.resolve({ error: "breaker_open" });
    return lookup(asStore, uids, config.deadlineMs, now).then((reply) => {
      if (!Array.isArray(reply)) {
        breaker.failed(clock.now());
        return reply;
      }
      breaker.succeeded();
      const at = clock.now();
      const out = new Map<string, Held>();
      for (let i = 0; i < uids.length; i++) {
        const held = hold(uids[i], types[i], reply[i], at);
        put(uids[i], held);
        out.set(uids[i], held);
      }
      return out;
    });
  }

  // The held answers for one level: from cache when fresh, else one read shared with concurrent requests
  function fetchLevel(uids: readonly string[], types: readonly string[], now: number): Promise<Map<string, { held: Held; fresh: boolean } | { error: RevocationStoreError }>> {
    const out = new Map<string, { held: Held; fresh: boolean } | { error: RevocationStoreError }>();
    const wanted: string[] = [];
    const wantedTypes: string[] = [];
    const waits: Array<Promise<void>> = [];
    for (let i = 0; i < uids.length; i++) {
      const uid = uids[i];
      const held = cache.get(uid, now);
      if (held !== undefined && now < held.freshUntil) {
        out.set(uid, { held, fresh: false });
        continue;
      }
      const pending = inflight.get(uid);
      if (pending !== undefined) {
        waits.push(pending.then((fetched) => void out.set(uid, answerFor(uid, fetched))));
        continue;
      }
      wanted.push(uid);
      wantedTypes.push(types[i]);
    }
    if (wanted.length > 0) {
      const pending = read(wanted, wantedTypes, now);
      for (const uid of wanted) inflight.set(uid, pending);
      waits.push(
        pending.then((fetched) => {
          for (const uid of wanted) {
            if (inflight.get(uid) === pending) inflight.delete(uid);
            out.set(uid, answerFor(uid, fetched));
          }
        }),
      );
    }
    return Promise.all(waits).then(() => out);
  }

  function answerFor(uid: string, fetched: Fetched): { held: Held; fresh: boolean } | { error: RevocationStoreError } {
    if (fetched instanceof Map) return { held: fetched.get(uid)!, fresh: true };
    return { error: fetched.error };
  }

  // One walk over levels; `get` answers each level, synchronously (cache) or not
  function walk(roots: readonly { type: string; id: string }[], now: number, level: (uids: string[], types: string[]) => Level | "miss" | Promise<Level | LevelFailure>): EntityLoadResult | undefined | Promise<EntityLoadResult> {
    const records: EntityJson[] = [];
    const loaded: LoadedEntity[] = [];
    const seen = new Set<string>();
    let uids: string[] = [];
    let types: string[] = [];
    for (const root of roots) enqueue(root.type, root.id, uids, types, seen, loaded);
    let depth = 0;
    // FNV-1a-style mix of the records' own SHA-256 prefixes (which cover their uid): not cryptographic, the inputs are
    let v1 = 0x811c9dc5;
    let v2 = 0x01000193;
    let used = 0;
    // Whether any record names a parent that is not static: only then can the records form a cycle
    let liveParents = false;
    let failModeUsed: RevocationFailMode | undefined;
    let storeError: RevocationStoreError | undefined;

    const step = (answers: Level): EntityLoadResult | undefined => {
      const nextUids: string[] = [];
      const nextTypes: string[] = [];
      for (const uid of uids) {
        const answer = answers.get(uid);
        if (answer === undefined) {
          loaded.push({ uid, source: "absent", ageMs: 0 });
          continue;
        }
        const { held, from } = answer;
        const ageMs = from === "store" ? 0 : Math.max(0, now - held.storedAt);
        if (held.invalid !== null) {
          loaded.push({ uid, source: from, ageMs });
          return { ok: false, reason: "entity_invalid", uid, message: held.invalid, loaded };
        }
        if (held.entity === null) {
          loaded.push({ uid, source: "absent", ageMs });
          continue;
        }
        loaded.push({ uid, source: from, ageMs });
        records.push(held.entity);
        v1 = Math.imul(v1 ^ held.h1, 0x01000193);
        v2 = Math.imul(v2 ^ held.h2, 0x01000193) ^ (v1 >>> 15);
        used++;
        if (records.length > config.maxEntities) return { ok: false, reason: "entity_invalid", uid, message: `too many entities (more than ${config.maxEntities}, ancestors included)`, loaded };
        const parents = (held.entity.parents ?? []) as { type: string; id: string }[];
        for (let p = 0; p < parents.length; p++) {
          if (!liveParents && !isStatic(parents[p].type, parents[p].id)) liveParents = true;
          if (depth < config.depth) enqueue(parents[p].type, parents[p].id, nextUids, nextTypes, seen, loaded);
        }
      }
      uids = nextUids;
      types = nextTypes;
      depth++;
      return undefined;
    };

    const finish = (): EntityLoadResult => {
      const cycle = liveParents ? findCycle(records, isStatic) : undefined;
      if (cycle !== undefined) return { ok: false, reason: "entity_invalid", uid: cycle, message: "parents form a cycle", loaded };
      const version = used === 0 ? NONE_HASH : hex8(v1) + hex8(v2);
      if (failModeUsed === undefined) return { ok: true, records, loaded, version };
      return { ok: true, records, loaded, version, failModeUsed, storeError: storeError! };
    };

    // Synchronous as long as every level answers from the cache
    while (uids.length > 0) {
      const answers = level(uids, types);
      if (answers === "miss") return undefined;
      if (answers instanceof Map) {
        const end = step(answers);
        if (end !== undefined) return end;
        continue;
      }
      return (async () => {
        let pending: Level | LevelFailure | "miss" | Promise<Level | LevelFailure> = answers;
        for (;;) {
          const got = await pending;
          if (got === "miss") throw new Error("unreachable: the async walk never misses");
          if (!(got instanceof Map)) {
            const { error, mode } = got;
            if (mode === "open") {
              failModeUsed = "open";
              storeError = error;
              // Decide without what could not be read: the rest of the walk stops here
              for (const uid of uids) loaded.push({ uid, source: "absent", ageMs: 0 });
              return finish();
            }
            return { ok: false, reason: "entities_unavailable", storeError: error, loaded } as EntityLoadResult;
          }
          if (got.staleError !== undefined) {
            failModeUsed = "stale";
            storeError = got.staleError;
          }
          const end = step(got);
          if (end !== undefined) return end;
          if (uids.length === 0) return finish();
          pending = level(uids, types);
        }
      })();
    }
    return finish();
  }

  function enqueue(type: string, id: string, uids: string[], types: string[], seen: Set<string>, loaded: LoadedEntity[]): void {
    const uid = uidKey(type, id);
    if (seen.has(uid)) return;
    seen.add(uid);
    if (isStatic(type, id)) {
      loaded.push({ uid, source: "static", ageMs: 0 });
      return;
    }
    // A key no store can hold is never asked for: the entity has no record
    if (uid.length > MAX_UID_KEY_LENGTH) {
      loaded.push({ uid: uid.slice(0, 64) + "…", source: "absent", ageMs: 0 });
      return;
    }
    uids.push(uid);
    types.push(type);
  }

  // `freshUntil.min` ends as the earliest instant a record of the walk goes stale
  function cachedLevel(now: number, freshUntil: { min: number }) {
    return (uids: string[]): Level | "miss" => {
      const out: Level = new Map();
      for (const uid of uids) {
        const held = cache.get(uid, now);
        if (held === undefined || now >= held.freshUntil) {
          if (deps.complete === true) continue;
          return "miss";
        }
        if (held.freshUntil < freshUntil.min) freshUntil.min = held.freshUntil;
        out.set(uid, { held, from: "cache" });
      }
      return out;
    };
  }

  function liveLevel(now: number, failMode: RevocationFailMode) {
    return (uids: string[], types: string[]): Promise<Level | LevelFailure> =>
      fetchLevel(uids, types, now).then((answers) => {
        const out: Level = new Map();
        let error: RevocationStoreError | undefined;
        for (const uid of uids) {
          const answer = answers.get(uid)!;
          if ("error" in answer) {
            error = answer.error;
            break;
          }
          out.set(uid, { held: answer.held, from: answer.fresh ? "store" : "cache" });
        }
        if (error === undefined) return out;
        if (failMode === "stale") {
          const stale: Level = new Map();
          let usable = true;
          for (const uid of uids) {
            const held = cache.get(uid, now);
            if (held === undefined || now >= held.keepUntil) {
              usable = false;
              break;
            }
            stale.set(uid, { held, from: "stale" });
          }
          if (usable) {
            stale.staleError = error;
            return stale;
          }
        }
        return { error, mode: failMode === "open" ? "open" : "closed" };
      });
  }

  return {
    loadCached(roots) {
      const now = clock.now();
      const freshUntil = { min: Infinity };
      const result = walk(roots, now, cachedLevel(now, freshUntil)) as EntityLoadResult | undefined;
      if (result !== undefined && result.ok) stamps.set(result, { at: now, generation, freshUntil: freshUntil.min });
      return result;
    },
    reusableFor(result) {
      const stamp = stamps.get(result);
      if (stamp === undefined || stamp.generation !== generation) return undefined;
      const now = clock.now();
      // Never past a record's TTL; a clock that went back is not trusted either
      if (now >= stamp.freshUntil || now < stamp.at) return undefined;
      return now - stamp.at;
    },
    load(roots, failMode) {
      const now = clock.now();
      return Promise.resolve(walk(roots, now, liveLevel(now, failMode)) as EntityLoadResult | Promise<EntityLoadResult>).catch(
        // Unreachable by design; a bug here refuses the request rather than deciding without data
        (): EntityLoadResult => ({ ok: false, reason: "entities_unavailable", storeError: "connection", loaded: [] }),
      );
    },
    prefetch(roots) {
      const now = clock.now();
      const uids: string[] = [];
      const types: string[] = [];
      const seen = new Set<string>();
      for (const root of roots) enqueue(root.type, root.id, uids, types, seen, []);
      if (uids.length > 0) void fetchLevel(uids, types, now).catch(() => undefined);
    },
    remember(uid, text) {
      const parsed = parseUidKey(uid);
      const now = clock.now();
      if (parsed !== undefined) put(uid, hold(uid, parsed.type, text, now));
    },
    breakerState: () => breaker.state(clock.now()),
    clearCache: () => {
      generation++;
      cache.clear();
    },
    source,
  };
}

// The first uid on a cycle among the loaded records (static entities' own cycles are the compiler's)
function findCycle(records: readonly EntityJson[], isStatic: (type: string, id: string) => boolean): string | undefined {
  if (records.every((r) => r.parents === undefined || r.parents.length === 0)) return undefined;
  const parentsOf = new Map<string, string[]>();
  for (const record of records) {
    const uid = record.uid as { type: string; id: string };
    parentsOf.set(uidKey(uid.type, uid.id), ((record.parents ?? []) as { type: string; id: string }[]).filter((p) => !isStatic(p.type, p.id)).map((p) => uidKey(p.type, p.id)));
  }
  const state = new Map<string, 1 | 2>();
  const visit = (uid: string): string | undefined => {
    const mark = state.get(uid);
    if (mark === 2) return undefined;
    if (mark === 1) return uid;
    state.set(uid, 1);
    for (const parent of parentsOf.get(uid) ?? []) {
      const found = visit(parent);
      if (found !== undefined) return found;
    }
    state.set(uid, 2);
    return undefined;
  };
  for (const uid of parentsOf.keys()) {
    const found = visit(uid);
    if (found !== undefined) return found;
  }
  return undefined;
}

function hex8(n: number): string {
  return (n >>> 0).toString(16).padStart(8, "0");
}
