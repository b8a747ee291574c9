/**
 * Counts over a sliding window of time in fixed buckets (one twelfth of the window each), so memory
 * stays constant however many requests arrive and old counts drop out as time moves on. Reads the
 * caller's clock: the authorizer's one clock (tests freeze it).
 */
export interface SlidingCounts {
  /** Adds one request at `nowMs`; `flagged` when it is one the rule counts against. */
  add(nowMs: number, flagged: boolean): void;
  /** Requests and flagged requests in the window ending at `nowMs`. */
  totals(nowMs: number): { readonly requests: number; readonly flagged: number };
}

const BUCKETS = 12;

export function createSlidingCounts(windowMs: number): SlidingCounts {
  const width = Math.max(1, Math.ceil(windowMs / BUCKETS));
  const starts = new Float64Array(BUCKETS).fill(Number.NEGATIVE_INFINITY);
  const requests = new Uint32Array(BUCKETS);
  const flagged = new Uint32Array(BUCKETS);
  const totals = { requests: 0, flagged: 0 };
  return {
    add(nowMs, isFlagged) {
      const start = Math.floor(nowMs / width) * width;
      const i = Math.floor(nowMs / width) % BUCKETS;
      if (starts[i] !== start) {
        starts[i] = start;
        requests[i] = 0;
        flagged[i] = 0;
      }
      requests[i]++;
      if (isFlagged) flagged[i]++;
    },
    totals(nowMs) {
      // A bucket counts while any part of it lies within the window
      const oldest = Math.floor(nowMs / width) * width - (BUCKETS - 1) * width;
      totals.requests = 0;
      totals.flagged = 0;
      for (let i = 0; i < BUCKETS; i++) {
        if (starts[i] >= oldest && starts[i] <= nowMs) {
          totals.requests += requests[i];
          totals.flagged += flagged[i];
        }
      }
      return totals;
    },
  };
}
