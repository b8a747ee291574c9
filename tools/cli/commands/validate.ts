import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseCommandArgs } from "../args.ts";
import type { CliCommand } from "../command.ts";
import { paintFor } from "../color.ts";
import { checkProject } from "./build.ts";
import { configFileFrom, policiesDirFrom } from "./_project.ts";
import { breakGlassMismatch } from "../../build/break-glass.ts";

const usage = `usage: gatehouse validate [--policies DIR] [--config FILE] [--break-glass DIR] [--strict]

Everything \`gatehouse build\` checks, writing nothing: Cedar syntax, strict validation against the
schema, the claims mapping against what policies read, and route/action analysis. With \`--config\`,
also the whole configuration as the Worker, Lambda and forward-auth entry points check it at start,
and that a config setting \`breakGlass\` comes with its break-glass policy project (and only then).

options:
  --policies DIR   the policy project; default \`policies\`
  --config FILE    a gatehouse config (json) whose issuers' claims mappings are checked
  --break-glass DIR  the break-glass policy project, compiled and validated against its schema
  --strict         treat analysis warnings as errors

exit codes: 0 valid, 1 errors (printed as file:line: message), 2 usage error`;

/** `gatehouse validate`: the build's checks without output. */
export const command: CliCommand = {
  summary: "check policies, schema, claims mapping and routes without writing anything",
  usage,
  async run(args) {
    const { values } = parseCommandArgs(args, { policies: { type: "string" }, config: { type: "string" }, "break-glass": { type: "string" }, strict: { type: "boolean", default: false } });
    const policiesDir = policiesDirFrom(values.policies);
    const breakGlassDir = values["break-glass"] === undefined ? undefined : policiesDirFrom(values["break-glass"]);
    const configFile = configFileFrom(values.config);
    const result = await checkProject(policiesDir, configFile, values.strict, paintFor(process.stderr), join(resolve("dist"), "policies.js"));
    if (typeof result === "number") return result;
    // The whole configuration as the entry points check it at start (the policy checks above
    // leave out the revocation section), so a deploy fails here and not on its first request
    if (configFile !== undefined) {
      const refused = (await startupCheck(configFile, policiesDir)) ?? breakGlassMismatch(configFile, breakGlassDir);
      if (refused !== null) {
        console.error(`gatehouse validate: ${refused}`);
        return 1;
      }
    }
    if (breakGlassDir !== undefined) {
      const failed = await checkBreakGlass(breakGlassDir, values["break-glass"]!);
      if (failed !== null) return failed;
    }
    console.log(`valid: ${result.policies} polic${result.policies === 1 ? "y" : "ies"}${result.warnings > 0 ? `, ${result.warnings} warning${result.warnings === 1 ? "" : "s"}` : ""}`);
    return 0;
  },
};

// The break-glass project compiles (Cedar syntax, strict validation against its schema); its exit code on failure
async function checkBreakGlass(dir: string, shown: string): Promise<number | null> {
  const [{ compilePolicyProject, formatDiagnostic }, { reportCompileError }] = await Promise.all([import("../../compiler/index.ts"), import("./_project-report.ts")]);
  const err = paintFor(process.stderr);
  try {
    const compiled = compilePolicyProject({ policiesDir: dir });
    for (const d of compiled.diagnostics) console.error(err.yellow(`break-glass: ${formatDiagnostic(d)}`));
    return null;
  } catch (error) {
    console.error(`break-glass policies \`${shown}\`:`);
    return reportCompileError(error, err, "break-glass validation");
  }
}

// The entry points' own start-up check: `validateConfig` on the file, routes from the project when it has none
async function startupCheck(configFile: string, policiesDir: string): Promise<string | null> {
  const { loadDevConfig } = await import("../../dev/load-config.ts");
  const { validateConfig } = await import("../../../shared/config/validate.ts");
  const { ConfigError } = await import("../../../shared/errors.ts");
  try {
    const raw = JSON.parse(readFileSync(configFile, "utf8")) as Record<string, unknown>;
    const config = loadDevConfig(configFile) as unknown as Record<string, unknown>;
    // `gatehouse dev` fills in a revocation section when there is none; a deployed entry does not
    if (raw.revocation === undefined) delete config.revocation;
    const routesFile = join(policiesDir, "routes.json");
    if (config.routes === undefined && existsSync(routesFile)) config.routes = JSON.parse(readFileSync(routesFile, "utf8")) as unknown;
    validateConfig(config);
    return null;
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
}
