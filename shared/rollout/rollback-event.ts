import type { AuditSink } from "../audit/sink.ts";
import type { AuditRecord } from "../audit/record.ts";

/** Which part of the rollback rule fired. */
export type RollbackRule = "deny_rate" | "forbid_error" | "shared_flag";

/**
 * The one audit event a rollback writes (#18), beside the decision lines; pinned by
 * `docs/rollback-event.schema.json`. It has no `decision_id`: it is not a decision.
 */
export interface RollbackEvent {
  readonly time: string;
  readonly event: "rollback";
  readonly rule: RollbackRule;
  /** The stable set's version, which now decides every request. */
  readonly policy_version: string | null;
  /** The candidate rolled back; it stays rolled back until another version arrives. */
  readonly candidate_version: string;
  readonly evidence: {
    /** The window the rate was judged over, in seconds. */
    readonly window_s: number;
    /** Canary requests in the window, and those where the candidate denied what the stable set allowed. */
    readonly canary_requests: number;
    readonly candidate_denies_stable_allows: number;
    readonly deny_rate: number;
    readonly max_deny_rate: number;
    readonly min_requests: number;
    /** Candidate forbid policies that errored on the request that fired the rule. */
    readonly forbid_errors: readonly string[];
    /** The decision during which the rule fired (`null` for a flag read from the shared store). */
    readonly trigger_decision_id: string | null;
  };
}

/** Hands the event to the audit sink, as a line where the sink takes lines. Never throws: a sink failure must not undo the rollback. */
export function writeRollbackEvent(sink: AuditSink, event: RollbackEvent): void {
  try {
    if (sink.writeLine !== undefined) sink.writeLine(JSON.stringify(event));
    // A sink without `writeLine` takes records; this one is an event, told apart by its `event` key
    else sink.write(event as unknown as AuditRecord);
  } catch {
    // the sink's own failure counting covers this; the rollback stands
  }
}
