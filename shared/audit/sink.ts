import type { AuditRecord } from "./record.ts";

/**
 * Where audit lines go. Supplied by the adapter; `stdoutSink()` is the plain default.
 * Invariant: neither method throws or rejects, and `write` never waits on I/O, so a sink can
 * never change or delay a decision (the logger also guards against sinks that break this).
 */
export interface AuditSink {
  /** Takes one line; serialises or buffers it, and returns at once. */
  write(record: AuditRecord): void;
  /**
   * Takes one line already serialised (one JSON object, no newline). When a sink has it, the logger
   * writes the line straight from the decision's facts and never builds the `AuditRecord` object
   * (issue #22); the text is exactly `JSON.stringify` of the record `write` would get.
   */
  writeLine?(line: string): void;
  /**
   * Sends whatever is buffered and resolves when done (or given up). Workers pass it to
   * `ctx.waitUntil`; Lambda awaits it before returning, since a frozen sandbox sends nothing.
   * A sink that never buffers returns `NOTHING_TO_FLUSH`, and the Worker then asks nothing of `waitUntil`.
   */
  flush(): Promise<void>;
  /** Lines dropped so far (buffer full, collector down); reported in a later line as `audit_dropped`. */
  readonly dropped?: number;
}

/**
 * The flush of a sink with nothing buffered (stdout, memory): already settled, and recognised by
 * identity through the logger's and the authorizer's flush, so a Worker does not hand
 * `ctx.waitUntil` a Promise that keeps nothing alive (measured at several µs per request in workerd).
 */
export const NOTHING_TO_FLUSH: Promise<void> = Promise.resolve();
