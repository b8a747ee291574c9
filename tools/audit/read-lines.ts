import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { createInterface, type Interface } from "node:readline";
import type { Readable } from "node:stream";
import { UsageError } from "../cli/command.ts";

/** The lines of an audit log file, or of standard input for `-` (`gatehouse audit report`, `replay`). */
export async function readAuditLines(source: string): Promise<Interface> {
  let input: Readable;
  if (source === "-") {
    input = process.stdin;
  } else {
    const info = await stat(source).catch(() => undefined);
    if (!info?.isFile()) throw new UsageError(`cannot read \`${source}\`: not a file`);
    input = createReadStream(source, { encoding: "utf8" });
  }
  return createInterface({ input, crlfDelay: Infinity });
}
