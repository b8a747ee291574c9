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
