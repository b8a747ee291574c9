/**
 * The time source every stage reads. Adapters pass the system clock; tests pass a frozen one,
 * so expiry, cache TTLs and audit timestamps are deterministic.
 */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
}

/** The platform clock (`Date.now()`); workerd coarsens it, which is fine at second granularity. */
export const systemClock: Clock = { now: () => Date.now() };

/** A clock that only moves when told to, for tests. */
export function frozenClock(startMs: number): Clock & { advance(ms: number): void; set(ms: number): void } {
  let current = startMs;
  return {
    now: () => current,
    advance(ms) {
      current += ms;
    },
    set(ms) {
      current = ms;
    },
  };
}
