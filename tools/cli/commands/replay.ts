import { writeFile } from "node:fs/promises";
import { parseCommandArgs } from "../args.ts";
import { UsageError, type CliCommand } from "../command.ts";
import { readAuditLines } from "../../audit/read-lines.ts";

const usage = `usage: gatehouse replay AUDIT.ndjson|- --policies DIR [--against DIR] [--config FILE] [--json] [--html OUT.html] [--max-changes N]

Decides the recorded requests of an audit log again with the policy project in --policies, through
the production stages (the recorded principal and context stand in for the token), and reports the
decisions that change (allow→deny, deny→allow) by route, action and policy, with example requests.
Needs lines written with \`audit.replay: true\`; the report says which lines could not be replayed
and why.

options:
  --policies DIR    the candidate policy project (*.cedar, schema, routes.json)
  --against DIR     compare with this project decided again, instead of the recorded decisions
  --config FILE     a gatehouse config (routes, context headers, onForbidError) for both projects
  --json            print the report as JSON
  --html FILE       also write the report as a self-contained HTML page
  --max-changes N   exit 1 when more than N decisions change (a CI gate); default no limit`;

/** `gatehouse replay`: simulate a policy change on recorded traffic (#18). */
export const command: CliCommand = {
  summary: "decide recorded audit lines again with a candidate policy project and list what changes",
  usage,
  async run(args) {
    const { values, positionals } = parseCommandArgs(
      args,
      { policies: { type: "string" }, against: { type: "string" }, config: { type: "string" }, json: { type: "boolean" }, html: { type: "string" }, "max-changes": { type: "string" } },
      true,
    );
    if (positionals.length !== 1) throw new UsageError("expected one input: an audit log file, or `-` for standard input");
    if (values.policies === undefined) throw new UsageError("expected --policies DIR: the candidate policy project");
    const maxRaw = values["max-changes"];
    const maxChanges = maxRaw === undefined ? Infinity : Number(maxRaw);
    if (maxRaw !== undefined && (!Number.isInteger(maxChanges) || maxChanges < 0)) throw new UsageError(`--max-changes: expected an integer of 0 or more, got \`${maxRaw}\``);

    // Loaded when run, not when `--help` lists the commands (the compiler loads cedar-wasm)
    const { prepareProject } = await import("../../policy-test/prepare.ts");
    const { renderReplayHtml, renderReplayText, replayAuditLines } = await import("../../replay/index.ts");
    const candidate = (await prepareProject({ policiesDir: values.policies, ...(values.config ? { configFile: values.config } : {}) })).setup;
    const against = values.against === undefined ? undefined : (await prepareProject({ policiesDir: values.against, ...(values.config ? { configFile: values.config } : {}) })).setup;

    const lines = await readAuditLines(positionals[0]);
    const report = await replayAuditLines(lines, { candidate, ...(against ? { against } : {}) });
    if (values.html !== undefined) await writeFile(values.html, renderReplayHtml(report), "utf8");
    process.stdout.write(values.json ? JSON.stringify(report, null, 2) + "\n" : renderReplayText(report));
    if (report.changed > maxChanges) {
      process.stderr.write(`gatehouse replay: ${report.changed} decisions change, more than --max-changes ${maxChanges}\n`);
      return 1;
    }
    return 0;
  },
};
