import type { PolicyResult } from "../policy/types.ts";

/** What the canary policies stage chose for one request (#18); the audit line's `canary` field. */
export interface CanaryChoice {
  /** Which set decided: the candidate (the request is in the canary slice) or the stable one. */
  readonly enforced: "candidate" | "stable";
  /** Whether the rollout was rolled back when the request was decided. */
  readonly rolledBack: boolean;
  /** The stable set's answer (`state.shadow` holds the candidate's). */
  readonly stable: PolicyResult;
}
