import type { AuditRecord } from "./record.ts";
import { NOTHING_TO_FLUSH, type AuditSink } from "./sink.ts";

/** Options for `stdoutSink`. */
export interface StdoutSinkOptions {
  /**
   * Writes one serialised line (no newline); default `console.log`, which Workers Logs and
   * CloudWatch pick up. Lambda's console adds a prefix before the JSON; an adapter that wants the bare
   * line can pass `(line) => process.stdout.write(line + "\n")`.
   */
  readonly writeLine?: (line: string) => void;
}

/** The default sink: one JSON line per decision on standard output. */
export function stdoutSink(options: StdoutSinkOptions = {}): AuditSink & { readonly dropped: number } {
  const writeLine = options.writeLine ?? ((line: string) => console.log(line));
  let dropped = 0;
  return {
    write: function writeStdout(record) {
      try {
        writeLine(JSON.stringify(record));
      } catch {
        // a closed stream or a value JSON cannot serialise: count it, never throw into the decision
        dropped++;
      }
    },
    writeLine: function writeStdoutLine(line) {
      try {
        writeLine(line);
      } catch {
        dropped++;
      }
    },
    // Each line is written as it comes
    flush: () => NOTHING_TO_FLUSH,
    get dropped() {
      return dropped;
    },
  };
}
