import { lookup } from "./check.ts";
import { raceDeadline } from "./deadline.ts";
import type { RevocationStore } from "./store.ts";

/** What `claimOnce` found: `claimed` (this caller wrote the key), `taken` (a live entry was there), or `unavailable` (no answer in time, or an error). */
export type ClaimOutcome = "claimed" | "taken" | "unavailable";

/**
 * Writes `key` once, for callers that must see a value only once across instances (a DPoP proof's
 * `jti`). Where the store has `putIfAbsent` this is one atomic round trip; otherwise (KV) a read
 * then a write, each its own round trip, and two instances can both claim the key between them.
 * Each call to the store is raced against `deadlineMs` (in ms), also when the store ignores its
 * abort signal. Never rejects.
 */
export async function claimOnce(store: RevocationStore, key: string, value: string, expiresAtSeconds: number, deadlineMs: number, nowMs: number): Promise<ClaimOutcome> {
  if (store.putIfAbsent !== undefined) {
    const written = await within(deadlineMs, (signal) => store.putIfAbsent!(key, value, expiresAtSeconds, signal, nowMs));
    return written === true ? "claimed" : written === false ? "taken" : "unavailable";
  }
  const read = await lookup(store, [key], deadlineMs, nowMs);
  if (!Array.isArray(read)) return "unavailable";
  if (read[0] !== null) return "taken";
  const put = await within(deadlineMs, () => store.put(key, value, expiresAtSeconds).then(() => true));
  return put === true ? "claimed" : "unavailable";
}

// What the store call fulfils with within `ms`, else `undefined` (a throw, a rejection, no answer in time)
function within<T>(ms: number, start: (signal: AbortSignal) => Promise<T>): Promise<T | undefined> {
  return raceDeadline<T, T | undefined>(ms, start, (value) => value, () => undefined, undefined);
}
