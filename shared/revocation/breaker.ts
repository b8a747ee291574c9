// A circuit breaker in front of the store: after `failureThreshold` consecutive failed lookups it
// opens for `cooldownMs`, during which no lookup is attempted (so a dead store costs no latency and
// gets no traffic), then lets exactly one probe through (half-open). The probe's result closes it
// again or reopens it for another cooldown.

/** The breaker's state, reported by `RevocationChecker.breakerState()` for health checks. */
export type BreakerState = "closed" | "open" | "half_open";

export class CircuitBreaker {
  #state: BreakerState = "closed";
  #failures = 0;
  #openUntil = 0;
  #probing = false;
  readonly #threshold: number;
  readonly #cooldownMs: number;

  constructor(failureThreshold: number, cooldownMs: number) {
    this.#threshold = failureThreshold;
    this.#cooldownMs = cooldownMs;
  }

  state(now: number): BreakerState {
    return this.#state === "open" && now >= this.#openUntil ? "half_open" : this.#state;
  }

  /** Whether a lookup may go to the store now; in half-open state only one probe at a time. */
  tryAcquire(now: number): boolean {
    if (this.#state === "closed") return true;
    if (this.#state === "open") {
      if (now < this.#openUntil) return false;
      this.#state = "half_open";
      this.#probing = false;
    }
    if (this.#probing) return false;
    this.#probing = true;
    return true;
  }

  succeeded(): void {
    this.#state = "closed";
    this.#failures = 0;
    this.#probing = false;
  }

  failed(now: number): void {
    this.#probing = false;
    if (this.#state === "half_open" || ++this.#failures >= this.#threshold) {
      this.#state = "open";
      this.#openUntil = now + this.#cooldownMs;
      this.#failures = 0;
    }
  }
}
