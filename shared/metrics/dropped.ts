/**
 * Audit lines lost, as emitters count them. Each source reports its own running total (a sink its
 * `dropped`, a logger the lines it failed to build or write), so the three platform loggers that
 * share one sink report its drops once, however many of them notice.
 */
export interface DroppedTally {
  /** Takes `source`'s running total; counts only what it adds to the largest total seen from `source`. */
  note(source: object, total: number): void;
  /** Lines counted since start. */
  readonly total: number;
}

export function droppedTally(): DroppedTally {
  const seen = new WeakMap<object, number>();
  let total = 0;
  return {
    note: function noteDropped(source, count) {
      const before = seen.get(source) ?? 0;
      if (!(count > before)) return;
      seen.set(source, count);
      total += count - before;
    },
    get total() {
      return total;
    },
  };
}
