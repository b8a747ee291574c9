import { REASONS_BY_STATUS } from "../pipeline/reasons.ts";

// A decision error is a 503: a dependency down or a bug, as opposed to a deny the caller earned.
// Read from the reasons table, so a reason added there is classified without touching metrics.
const ERROR_REASONS: ReadonlySet<string> = new Set(REASONS_BY_STATUS[503]);

/** Whether a decision with this reason counts as an error (status 503) for the error-rate SLO. */
export function isErrorReason(reason: string): boolean {
  return ERROR_REASONS.has(reason);
}

/** The reasons that count as errors, for alert rules and dashboards. */
export const ERROR_REASON_CODES: readonly string[] = [...REASONS_BY_STATUS[503]];
