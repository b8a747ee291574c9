import { writeFile } from "node:fs/promises";
import { parseCommandArgs } from "../args.ts";
import { UsageError, type CliCommand } from "../command.ts";
import { readAuditLines } from "../../audit/read-lines.ts";
import { renderHtmlReport, renderTextReport, summarizeAuditLines } from "../../audit/index.ts";

const usage = `usage: gatehouse audit report FILE|- [--html OUT.html] [--json] [--top N]

Reads audit lines (NDJSON, one decision per line) from FILE, or from standard input with \`-\`,
and prints decisions per route, top deny reasons and policies, auth error codes, latency
p50/p95/p99 and shadow-policy disagreements. Lines that are not audit lines are counted and skipped.

options:
  --html FILE   also write a self-contained HTML page with the same figures as charts
  --json        print the figures as JSON instead of text
  --top N       rows per ranked list, 1 to 1000; default 10`;

async function report(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    args,
    { html: { type: "string" }, json: { type: "boolean" }, top: { type: "string" } },
    true,
  );
  if (positionals.length !== 1) throw new UsageError("expected one input: a file, or `-` for standard input");
  const top = values.top === undefined ? 10 : Number(values.top);
  if (!Number.isInteger(top) || top < 1 || top > 1000) throw new UsageError(`--top: expected an integer from 1 to 1000, got \`${values.top}\``);

  const lines = await readAuditLines(positionals[0]);
  const summary = await summarizeAuditLines(lines);

  if (values.html !== undefined) await writeFile(values.html, renderHtmlReport(summary, { top }), "utf8");
  process.stdout.write(values.json ? JSON.stringify(summary, null, 2) + "\n" : renderTextReport(summary, { top }));
  return 0;
}

/** `gatehouse audit report`: figures from audit logs. */
export const command: CliCommand = {
  summary: "summarise audit lines: decisions, deny reasons, latency, shadow disagreements",
  usage,
  async run(args) {
    const [sub, ...rest] = args;
    if (sub === "report") return report(rest);
    throw new UsageError(sub === undefined ? "expected a subcommand: `report`" : `unknown subcommand \`${sub}\`; expected \`report\``);
  },
};
