import type { RevocationStore } from "../../../shared/revocation/index.ts";

/** How `withFaults` treats `getMany`: pass through, reject, never settle, answer nonsense, or throw synchronously. */
export type Fault = "none" | "reject" | "hang" | "garbage" | "throw" | "slow";

/**
 * Wraps a real store (the memory store in unit tests) and injects faults into `getMany`, counting
 * calls and recording the keys and signal of each. The network fault tests use real servers behind
 * a TCP proxy instead; this is for the checker's own logic, with a frozen clock.
 */
export function withFaults(inner: RevocationStore) {
  const state = {
    fault: "none" as Fault,
    slowMs: 0,
    calls: [] as Array<{ keys: string[]; signal: AbortSignal; nowMs: number }>,
    lateRejections: 0,
  };
  const store: RevocationStore = {
    name: "faulty",
    getMany(keys, signal, nowMs) {
      state.calls.push({ keys: [...keys], signal, nowMs });
      switch (state.fault) {
        case "reject":
          return Promise.reject(new Error("injected failure"));
        case "hang":
          return new Promise(() => {});
        case "garbage":
          return Promise.resolve([42, { not: "a string" }] as unknown as Array<string | null>);
        case "throw":
          throw new Error("injected synchronous failure");
        case "slow":
          // Settles (rejects) after the deadline: the checker must not leave this unhandled
          return new Promise((_, reject) =>
            setTimeout(() => {
              state.lateRejections++;
              reject(new Error("late failure"));
            }, state.slowMs),
          );
        default:
          return inner.getMany(keys, signal, nowMs);
      }
    },
    put: (key, value, exp) => inner.put(key, value, exp),
    delete: (key) => inner.delete(key),
    list: (prefix, nowMs) => inner.list(prefix, nowMs),
  };
  return { store, state };
}
