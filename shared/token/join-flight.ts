import type { Clock } from "../clock/index.ts";

/** A fetch in progress that other requests may wait for (a key set, a discovery document). */
export interface JoinableFlight {
  readonly promise: Promise<void>;
  /** When it started, by the authorizer's clock. */
  readonly startedMs: number;
}

/**
 * Waits for another request's flight, at most until `timeoutMs` after it started. In workerd a
 * promise started by one request never settles if that request is cancelled, so a joiner bounds its
 * own wait.
 */
export function joinFlight(flight: JoinableFlight, timeoutMs: number, clock: Clock): Promise<void> {
  const remaining = timeoutMs - (clock.now() - flight.startedMs);
  if (remaining <= 0) return Promise.resolve();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, remaining);
  });
  return Promise.race([flight.promise, deadline]).finally(() => clearTimeout(timer));
}
