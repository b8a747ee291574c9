import type { AuditRecord } from "./record.ts";
import { NOTHING_TO_FLUSH, type AuditSink } from "./sink.ts";

/** A sink that keeps what it is given, for tests: the records and their exact serialised lines. */
export interface MemorySink extends AuditSink {
  /** Records in write order (the objects as written, not copies). */
  readonly records: AuditRecord[];
  /** `JSON.stringify` of each record at the moment it was written. */
  readonly lines: string[];
  /** Forgets everything written so far. */
  clear(): void;
}

/** A sink that keeps every line in memory. */
export function memorySink(): MemorySink {
  const records: AuditRecord[] = [];
  const lines: string[] = [];
  return {
    records,
    lines,
    write: function writeMemory(record) {
      records.push(record);
      lines.push(JSON.stringify(record));
    },
    flush: () => NOTHING_TO_FLUSH,
    clear() {
      records.length = 0;
      lines.length = 0;
    },
  };
}
