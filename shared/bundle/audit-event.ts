import type { AuditRecord } from "../audit/record.ts";
import type { AuditSink } from "../audit/sink.ts";
import type { BundleRefusal } from "./errors.ts";

/**
 * The audit line a running authorizer writes when it swaps in a published policy bundle
 * (`outcome: "loaded"`) or refuses one (`"refused"`, with `reason`); one per event, on the
 * decision lines' sink. `event` tells it from a decision line.
 */
export interface PolicyBundleEvent {
  readonly event: "policy_bundle";
  readonly outcome: "loaded" | "refused";
  /** ISO 8601, by the authorizer's clock. */
  readonly time: string;
  /** The version the pointer named (`null` when the pointer itself was unreadable). */
  readonly version: string | null;
  /** The pointer's move number. */
  readonly seq: number | null;
  /** The version deciding before (loaded) or still deciding (refused). */
  readonly deciding_version: string;
  readonly reason?: BundleRefusal;
  readonly message?: string;
}

/** Writes one event line; never throws (a sink must not break the refresh either). */
export function writeBundleEvent(sink: AuditSink, event: PolicyBundleEvent): void {
  try {
    if (sink.writeLine !== undefined) sink.writeLine(JSON.stringify(event));
    else sink.write(event as unknown as AuditRecord);
  } catch {
    // the sink's own failure counters see it; the swap or refusal stands
  }
}
