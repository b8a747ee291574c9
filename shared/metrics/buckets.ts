/**
 * Upper bounds of the decision-latency histogram, in ms: 50 µs to 100 ms (issue #19). A cached
 * decision takes tens of microseconds, a JWKS fetch or a store round trip tens of milliseconds;
 * anything slower falls in the overflow bucket (`+Inf`).
 */
export const LATENCY_BUCKETS_MS: readonly number[] = Object.freeze([0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100]);

/** The index of the bucket `ms` falls in; `LATENCY_BUCKETS_MS.length` is the overflow bucket. */
export function bucketIndex(ms: number): number {
  const bounds = LATENCY_BUCKETS_MS;
  for (let i = 0; i < bounds.length; i++) if (ms <= bounds[i]) return i;
  return bounds.length;
}

/**
 * Upper bounds of the revocation-answer-age histogram, in seconds. `0` holds answers read from the
 * store for the request itself; a cached answer is at most the revocation `ttlMs` old (default 5 s,
 * at most 300 s), a `stale` one up to `ttlMs` + `maxStaleMs`. The worst-case time to revoke is the
 * largest age served plus the store's own propagation.
 */
export const REVOCATION_AGE_BUCKETS_S: readonly number[] = Object.freeze([0, 1, 2, 5, 10, 30, 60, 120, 300, 600]);

/** The index of the age bucket `ms` falls in; `REVOCATION_AGE_BUCKETS_S.length` is the overflow bucket. */
export function ageBucketIndex(ms: number): number {
  const bounds = AGE_BOUNDS_MS;
  for (let i = 0; i < bounds.length; i++) if (ms <= bounds[i]) return i;
  return bounds.length;
}

const AGE_BOUNDS_MS: readonly number[] = REVOCATION_AGE_BUCKETS_S.map((s) => s * 1000);
