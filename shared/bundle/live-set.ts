import type { CompiledPolicySet } from "../policy/types.ts";

/**
 * A policy set whose contents can be replaced while it is in use (issue #18). The pipeline holds
 * this object for good; `swap` changes what its `evaluate` reads in one assignment, so a decision
 * sees the old set or the new one, never a mix. Exposed so other parts (canary, #18a) can take the
 * set that is loaded now as a value: `current()`.
 */
export interface LivePolicySet extends CompiledPolicySet {
  /** The set deciding now: the build-time one until a bundle is swapped in. */
  current(): CompiledPolicySet;
  /** The build-time set, the fallback. */
  readonly bundled: CompiledPolicySet;
  /** Replaces the set; listeners run before the next decision. */
  swap(next: CompiledPolicySet): void;
  /** Called after each swap (the decision stage's forbid ids, the audit line's version). */
  onSwap(listener: (next: CompiledPolicySet) => void): void;
}

/** Wraps the build-time set; it decides until the first swap. */
export function createLivePolicySet(bundled: CompiledPolicySet): LivePolicySet {
  let current = bundled;
  const listeners: Array<(next: CompiledPolicySet) => void> = [];
  return {
    evaluate: function evaluateLive(request, entities) {
      return current.evaluate(request, entities);
    },
    candidates: function candidatesLive(request, entities) {
      return current.candidates(request, entities);
    },
    get version() {
      return current.version;
    },
    get policies() {
      return current.policies;
    },
    get onForbidError() {
      return current.onForbidError;
    },
    get contextAttributes() {
      return current.contextAttributes;
    },
    bundled,
    current: () => current,
    swap(next) {
      current = next;
      for (const l of listeners) l(next);
    },
    onSwap(listener) {
      listeners.push(listener);
    },
  };
}

/** Whether `set` is a `LivePolicySet`. */
export function isLivePolicySet(set: CompiledPolicySet): set is LivePolicySet {
  return typeof (set as Partial<LivePolicySet>).swap === "function" && typeof (set as Partial<LivePolicySet>).current === "function";
}
