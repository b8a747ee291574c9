import type { RevocationStore } from "../revocation/store.ts";

/** The rollback flag in a shared store (#18), so one isolate's rollback reaches the others. */
export interface SharedRollbackFlag {
  /** Whether some isolate rolled `candidateVersion` back. Rejects when the store cannot answer. */
  isSet(candidateVersion: string, nowMs: number): Promise<boolean>;
  /** Sets the flag (the value is the event, for people reading the store); it lasts a week, well past any candidate's canary. */
  set(candidateVersion: string, value: string, nowMs: number): Promise<void>;
}

// Beside the revocation keys (`gh:rv:`), never among them: `revocations list` does not show it
const PREFIX = "gh:rollback:";
// A store round trip that outlives this is given up; the flag is read again after the TTL
const DEADLINE_MS = 1000;
const FLAG_LIFETIME_MS = 7 * 86_400_000;

/** The flag kept in the revocation store the configuration already names (KV, Redis, Upstash, DynamoDB). */
export function storeRollbackFlag(store: RevocationStore): SharedRollbackFlag {
  return {
    async isSet(version, nowMs) {
      const signal = AbortSignal.timeout(DEADLINE_MS);
      const [value] = await store.getMany([PREFIX + version], signal, nowMs);
      return value !== null && value !== undefined;
    },
    set(version, value, nowMs) {
      return store.put(PREFIX + version, value, Math.ceil((nowMs + FLAG_LIFETIME_MS) / 1000));
    },
  };
}
