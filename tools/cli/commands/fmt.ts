import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { parseCommandArgs } from "../args.ts";
import { UsageError, type CliCommand } from "../command.ts";
import { paintFor } from "../color.ts";

const usage = `usage: gatehouse fmt [--check] [--line-width N] [PATH ...]

Formats Cedar policy files with Cedar's own formatter (comments are kept). PATH is a \`.cedar\`
file or a directory of them; default \`policies\`.

options:
  --check          change nothing; list the files that are not formatted and exit 1 if any
  --line-width N   wrap at N columns; default 80, from 40 to 200
  --indent N       indent by N spaces; default 2, from 1 to 8

exit codes: 0 formatted (or, with --check, already formatted), 1 unformatted files or a syntax error, 2 usage error`;

/** `gatehouse fmt`: cedar-wasm's `formatPolicies` over policy files. */
export const command: CliCommand = {
  summary: "format .cedar files with Cedar's formatter (--check for CI)",
  usage,
  async run(args) {
    const { values, positionals } = parseCommandArgs(
      args,
      { check: { type: "boolean", default: false }, "line-width": { type: "string", default: "80" }, indent: { type: "string", default: "2" } },
      true,
    );
    const lineWidth = integerFlag(values["line-width"], "--line-width", 40, 200);
    const indentWidth = integerFlag(values.indent, "--indent", 1, 8);
    const files = (positionals.length > 0 ? positionals : ["policies"]).flatMap(cedarFiles);
    // Loaded here, not at the top, so `--help` does not load cedar-wasm
    const [cedar, { formatDiagnostic, toDiagnostic }] = await Promise.all([import("@cedar-policy/cedar-wasm/nodejs"), import("../../analysis/index.ts")]);
    const err = paintFor(process.stderr);
    let unformatted = 0;
    let broken = 0;
    for (const file of files) {
      const shown = relative(process.cwd(), file) || file;
      const text = readFileSync(file, "utf8");
      const answer = cedar.formatPolicies({ policyText: text, lineWidth, indentWidth });
      if (answer.type !== "success") {
        broken++;
        for (const e of answer.errors) console.error(err.red(formatDiagnostic(toDiagnostic(e, shown, text))));
        continue;
      }
      if (answer.formatted_policy === text) continue;
      unformatted++;
      if (values.check) console.log(`would reformat ${shown}`);
      else {
        writeFileSync(file, answer.formatted_policy);
        console.log(`formatted ${shown}`);
      }
    }
    if (broken > 0) {
      console.error(`fmt failed: ${broken} file${broken === 1 ? "" : "s"} with syntax errors`);
      return 1;
    }
    if (values.check && unformatted > 0) {
      console.error(`${unformatted} of ${files.length} file${files.length === 1 ? "" : "s"} not formatted: run \`gatehouse fmt\``);
      return 1;
    }
    if (unformatted === 0) console.log(`${files.length} file${files.length === 1 ? "" : "s"} already formatted`);
    return 0;
  },
};

function cedarFiles(path: string): string[] {
  const full = resolve(path);
  let stat;
  try {
    stat = statSync(full);
  } catch {
    throw new UsageError(`\`${path}\` not found`);
  }
  if (stat.isFile()) return [full];
  const files = readdirSync(full).filter((f) => f.endsWith(".cedar")).sort().map((f) => join(full, f));
  if (files.length === 0) throw new UsageError(`no \`.cedar\` files in \`${path}\``);
  return files;
}

function integerFlag(text: string, flag: string, min: number, max: number): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`${flag}: expected an integer from ${min} to ${max}, got \`${text}\``);
  return n;
}
