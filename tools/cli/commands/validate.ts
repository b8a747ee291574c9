import { join, resolve } from "node:path";
import { parseCommandArgs } from "../args.ts";
import type { CliCommand } from "../command.ts";
import { paintFor } from "../color.ts";
import { checkProject } from "./build.ts";
import { configFileFrom, policiesDirFrom } from "./_project.ts";

const usage = `usage: gatehouse validate [--policies DIR] [--config FILE] [--strict]

Everything \`gatehouse build\` checks, writing nothing: Cedar syntax, strict validation against the
schema, the claims mapping against what policies read, and route/action analysis.

options:
  --policies DIR   the policy project; default \`policies\`
  --config FILE    a gatehouse config (json) whose issuers' claims mappings are checked
  --strict         treat analysis warnings as errors

exit codes: 0 valid, 1 errors (printed as file:line: message), 2 usage error`;

/** `gatehouse validate`: the build's checks without output. */
export const command: CliCommand = {
  summary: "check policies, schema, claims mapping and routes without writing anything",
  usage,
  async run(args) {
    const { values } = parseCommandArgs(args, { policies: { type: "string" }, config: { type: "string" }, strict: { type: "boolean", default: false } });
    const policiesDir = policiesDirFrom(values.policies);
    const result = await checkProject(policiesDir, configFileFrom(values.config), values.strict, paintFor(process.stderr), join(resolve("dist"), "policies.js"));
    if (typeof result === "number") return result;
    console.log(`valid: ${result.policies} polic${result.policies === 1 ? "y" : "ies"}${result.warnings > 0 ? `, ${result.warnings} warning${result.warnings === 1 ? "" : "s"}` : ""}`);
    return 0;
  },
};
