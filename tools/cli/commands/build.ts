import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { parseCommandArgs } from "../args.ts";
import type { CliCommand } from "../command.ts";
import { PACKAGED, PACKAGE_POLICY_RUNTIME } from "../../package/mode.ts";
import { paintFor } from "../color.ts";
import { configFileFrom, policiesDirFrom } from "./_project.ts";
import { breakGlassMismatch } from "../../build/break-glass.ts";

/** File names `gatehouse build` writes into the output directory. */
export const BUILD_OUTPUTS = Object.freeze({ policies: "policies.js", shadow: "policies.shadow.js", types: "policy-types.ts", ir: "policies.ir.json", breakGlass: "break-glass/policies.js" });

const usage = `usage: gatehouse build [--policies DIR] [--out DIR] [--config FILE] [--shadow DIR] [--break-glass DIR] [--strict]

Compiles the Cedar policies to JavaScript, validating them against the schema, then checks the
claims mapping against what the policies read and analyses routes and actions. Writes
  DIR/${BUILD_OUTPUTS.policies}         the compiled policy module the functions bundle
  DIR/${BUILD_OUTPUTS.ir}   the same policy set as data, for \`gatehouse publish\`
  DIR/${BUILD_OUTPUTS.types}     TypeScript types of requests and entities, from the schema
  DIR/${BUILD_OUTPUTS.shadow}  with --shadow: the candidate policy set, evaluated beside the enforced one
                             (without: a module exporting null, so no earlier candidate ships)
  DIR/${BUILD_OUTPUTS.breakGlass} with --break-glass: the emergency policy set of \`breakGlass\` tokens
                             (without: a module exporting null, so no earlier emergency set ships)

options:
  --policies DIR   the policy project; default \`policies\`
  --out DIR        output directory; default \`dist\`
  --config FILE    a gatehouse config (json) whose issuers' claims mappings are checked; default the built-in mapping
  --shadow DIR     also compile a candidate policy project for shadow mode
  --break-glass DIR  also compile the break-glass policy project (docs/break-glass.md); required
                   when the --config file sets \`breakGlass\`
  --strict         treat analysis warnings as errors

exit codes: 0 built, 1 policy errors (file:line and Cedar's message) or analysis errors, 2 usage error`;

/** `gatehouse build`: compile, validate, analyse, and write the policy module and its types. */
export const command: CliCommand = {
  summary: "compile and validate the policies into dist/ (with claims and route analysis)",
  usage,
  async run(args) {
    const { values } = parseCommandArgs(args, {
      policies: { type: "string" },
      out: { type: "string", default: "dist" },
      config: { type: "string" },
      shadow: { type: "string" },
      "break-glass": { type: "string" },
      strict: { type: "boolean", default: false },
    });
    const err = paintFor(process.stderr);
    const policiesDir = policiesDirFrom(values.policies);
    const shadowDir = values.shadow === undefined ? undefined : policiesDirFrom(values.shadow);
    const breakGlassDir = values["break-glass"] === undefined ? undefined : policiesDirFrom(values["break-glass"]);
    const configFile = configFileFrom(values.config);
    const outDir = resolve(values.out);
    const outFile = join(outDir, BUILD_OUTPUTS.policies);
    const breakGlassFile = join(outDir, BUILD_OUTPUTS.breakGlass);
    const unmatched = breakGlassMismatch(configFile, breakGlassDir);
    if (unmatched !== null) {
      console.error(`build failed: ${unmatched}`);
      return 1;
    }

    const result = await checkProject(policiesDir, configFile, values.strict, err, outFile);
    if (typeof result === "number") return result;
    // Loaded here, not at the top, so `--help` does not load the compiler (and cedar-wasm)
    const [{ compilePolicyProject, formatDiagnostic, RUNTIME_ENTRY }, { NO_SHADOW_MODULE, NO_BREAK_GLASS_MODULE }, { reportCompileError }] = await Promise.all([
      import("../../compiler/index.ts"),
      import("../../build/worker.ts"),
      import("./_project-report.ts"),
    ]);

    let shadow;
    if (shadowDir !== undefined) {
      try {
        shadow = compilePolicyProject({ policiesDir: shadowDir, runtimeImport: runtimeImportFrom(outFile, RUNTIME_ENTRY) });
      } catch (error) {
        console.error(`shadow policies \`${values.shadow}\`:`);
        return reportCompileError(error, err, "shadow build");
      }
      for (const d of shadow.diagnostics) console.error(err.yellow(`shadow: ${formatDiagnostic(d)}`));
    }

    let breakGlass;
    if (breakGlassDir !== undefined) {
      try {
        breakGlass = compilePolicyProject({ policiesDir: breakGlassDir, runtimeImport: runtimeImportFrom(breakGlassFile, RUNTIME_ENTRY) });
      } catch (error) {
        console.error(`break-glass policies \`${values["break-glass"]}\`:`);
        return reportCompileError(error, err, "break-glass build");
      }
      for (const d of breakGlass.diagnostics) console.error(err.yellow(`break-glass: ${formatDiagnostic(d)}`));
    }

    // Written only once everything passed, so a failed build never leaves a half-new dist/
    mkdirSync(dirname(breakGlassFile), { recursive: true });
    writeFileSync(outFile, result.source);
    writeFileSync(join(outDir, BUILD_OUTPUTS.ir), result.ir);
    writeFileSync(join(outDir, BUILD_OUTPUTS.types), result.types);
    // The Worker bundles this file as `@gatehouse/shadow-policies` (infra/wrangler.toml); `null` means no shadow mode
    writeFileSync(join(outDir, BUILD_OUTPUTS.shadow), shadow ? shadow.source : NO_SHADOW_MODULE);
    // The Worker bundles this as `@gatehouse/break-glass-policies`, forward-auth loads it by default;
    // `null` means none, and an authorizer configured with `breakGlass` then refuses to start
    writeFileSync(breakGlassFile, breakGlass ? breakGlass.source : NO_BREAK_GLASS_MODULE);
    // The modules are ES modules whatever the user's package.json says (`npm init` writes
    // "type": "commonjs"), so Node loads dist/policies.js as one (the forward-auth server imports it)
    if (PACKAGED && !existsSync(join(outDir, "package.json"))) writeFileSync(join(outDir, "package.json"), '{ "type": "module" }\n');
    const shown = relative(process.cwd(), outFile) || outFile;
    const warnings = result.warnings > 0 ? `, ${result.warnings} warning${result.warnings === 1 ? "" : "s"}` : "";
    console.log(`built ${shown}: ${result.policies} polic${result.policies === 1 ? "y" : "ies"}, version ${result.version.slice(0, 12)}${warnings}`);
    if (shadow) console.log(`built ${relative(process.cwd(), join(outDir, BUILD_OUTPUTS.shadow))}: ${shadow.policies.length} candidate policies, version ${shadow.version.slice(0, 12)}`);
    if (breakGlass) console.log(`built ${relative(process.cwd(), breakGlassFile)}: ${breakGlass.policies.length} break-glass polic${breakGlass.policies.length === 1 ? "y" : "ies"}, version ${breakGlass.version.slice(0, 12)}`);
    return 0;
  },
};

/** What a passing check produced (not yet written). */
export interface CheckedProject {
  readonly source: string;
  /** The policy IR as JSON text (#18). */
  readonly ir: string;
  readonly types: string;
  readonly version: string;
  readonly policies: number;
  readonly warnings: number;
}

/**
 * Compile + validate + analyse, printing diagnostics and findings to stderr. Resolves to the exit
 * code on failure, else what to write. Shared by `build` and `validate`.
 */
export async function checkProject(policiesDir: string, configFile: string | undefined, strict: boolean, err: ReturnType<typeof paintFor>, outFile: string): Promise<CheckedProject | number> {
  // Loaded on first use, so `gatehouse --help` stays quick
  const [{ compilePolicyProject, formatDiagnostic, RUNTIME_ENTRY }, { analyzeProject, formatDiagnostic: formatProjectDiagnostic, loadProject }, { resolveSetup }, { generateTypes }, { reportCompileError, reportFindings }] =
    await Promise.all([
      import("../../compiler/index.ts"),
      import("../../analysis/index.ts"),
      import("../../policy-test/index.ts"),
      import("../../typegen/index.ts"),
      import("./_project-report.ts"),
    ]);
  let compiled;
  try {
    compiled = compilePolicyProject({ policiesDir, runtimeImport: runtimeImportFrom(outFile, RUNTIME_ENTRY) });
  } catch (error) {
    return reportCompileError(error, err);
  }
  for (const d of compiled.diagnostics) console.error(err.yellow(formatDiagnostic(d)));
  const loaded = loadProject(policiesDir);
  if (!loaded.ok) {
    for (const d of loaded.diagnostics) console.error(err.red(formatProjectDiagnostic(d)));
    console.error(`build failed: ${loaded.diagnostics.length} error${loaded.diagnostics.length === 1 ? "" : "s"}`);
    return 1;
  }
  const { setup, mappings } = resolveSetup(policiesDir, configFile);
  const findings = analyzeProject(loaded.project, mappings, { contextHeaders: setup.contextHeaders });
  const failing = reportFindings(findings, err, strict);
  if (failing > 0) {
    console.error(`build failed: ${failing} analysis error${failing === 1 ? "" : "s"}${strict ? " (--strict)" : ""}`);
    return 1;
  }
  return {
    source: compiled.source,
    ir: JSON.stringify(compiled.ir),
    types: generateTypes(loaded.project.schema, { source: "schema.cedarschema" }),
    version: compiled.version,
    policies: compiled.policies.length,
    warnings: compiled.diagnostics.length + findings.length,
  };
}

// The generated module imports the runtime relative to where it is written; from the installed
// package, by the package's name
function runtimeImportFrom(outFile: string, runtimeEntry: string): string {
  if (PACKAGED) return PACKAGE_POLICY_RUNTIME;
  let rel = relative(dirname(outFile), runtimeEntry).split(sep).join("/");
  if (!rel.startsWith(".")) rel = `./${rel}`;
  return rel;
}
