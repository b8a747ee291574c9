// `npm run build:worker [-- --policies DIR --out DIR --shadow DIR --break-glass DIR --features all|LIST]`:
// compiles the policy project (a candidate one for shadow mode, the break-glass one for emergency
// access) and bundles the Worker exactly as it deploys, with `wrangler deploy --dry-run` against a
// copy of infra/wrangler.toml that keeps only the optional features its GATEHOUSE_CONFIG names.
import { spawn } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { gzipSync } from "node:zlib";
import { compilePolicyProject } from "../compiler/index.ts";
import { packageRoot, PACKAGED } from "../package/mode.ts";
import { FEATURES_MODULE, FEATURES_SPECIFIER, OPTIONAL_FEATURES, parseFeaturesFlag, resolveFeatures, writeFeaturesModule, type FeatureChoice, type OptionalFeature } from "./features.ts";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

/** Options of `buildWorker`. */
export interface BuildWorkerOptions {
  /** The policy project (`.cedar` files, `schema.cedarschema`, `entities.json`, `routes.json`); default `policies/`. */
  readonly policiesDir?: string;
  /** Where the bundle goes; default `dist/worker/`. The compiled policies go to `policies.js` beside it. */
  readonly outDir?: string;
  /** Print wrangler's output; default false (it is shown when the build fails). */
  readonly verbose?: boolean;
  /**
   * Shadow mode (issue #7): a candidate policy project bundled beside the enforced one, evaluated on
   * every request, recorded in the audit line, never deciding. Default none: the bundle's
   * `@gatehouse/shadow-policies` is then `null` and the pipeline skips it.
   */
  readonly shadowDir?: string;
  /**
   * Emergency access: the break-glass policy project (docs/break-glass.md), bundled as
   * `@gatehouse/break-glass-policies` and deciding for tokens of `breakGlass.issuer` only. Default
   * none: the module is then `null`, and a configuration with `breakGlass` refuses to start.
   */
  readonly breakGlassDir?: string;
  /**
   * The `GatehouseConfig` the Worker will run with; its optional features (entities, policy
   * bundles, rollout, introspection, discovery) are the ones bundled. Default the `GATEHOUSE_CONFIG`
   * of infra/wrangler.toml; without one there, every feature. A configuration naming a feature the
   * bundle lacks is refused at start (503 `config_refused`, the field in the log).
   */
  readonly config?: unknown;
  /** Which optional features to bundle, whatever `config` says: `"all"` or a list. Default from `config`. */
  readonly features?: FeatureChoice;
}

/** What the Worker bundles as `@gatehouse/shadow-policies` when no candidate was given. */
export const NO_SHADOW_MODULE = "// no shadow policy set (build without --shadow)\nexport default null;\n";
/** What the Worker bundles as `@gatehouse/break-glass-policies` when no break-glass project was given. */
export const NO_BREAK_GLASS_MODULE = "// no break-glass policy set (build without --break-glass)\nexport default null;\n";

/** What `buildWorker` produced. */
export interface BuiltWorker {
  /** The ES-module bundle to deploy (or to run in Miniflare). */
  readonly bundlePath: string;
  readonly bytes: number;
  readonly gzipBytes: number;
  readonly policyVersion: string;
  /** Content hash of the candidate policies; `null` without `shadowDir`. */
  readonly shadowPolicyVersion: string | null;
  /** Content hash of the break-glass policies; `null` without `breakGlassDir`. */
  readonly breakGlassPolicyVersion: string | null;
  /** The optional features the bundle carries. */
  readonly features: readonly OptionalFeature[];
}

/** A build that failed: compile diagnostics or wrangler's own output, in one message. */
export class BuildError extends Error {
  override readonly name = "BuildError";
}

/** Compiles the policies and runs wrangler's dry-run bundle. No network, no login. */
export async function buildWorker(options: BuildWorkerOptions = {}): Promise<BuiltWorker> {
  if (PACKAGED) return bundleInstalled(options);
  const policiesDir = resolve(options.policiesDir ?? join(ROOT, "policies"));
  const defaultOut = join(ROOT, "dist", "worker");
  const outDir = resolve(options.outDir ?? defaultOut);
  const routesSource = join(policiesDir, "routes.json");
  if (!existsSync(routesSource)) throw new BuildError(`${routesSource}: expected the route table of the policy project`);
  // infra/wrangler.toml aliases the four build-time modules to dist/policies.js, dist/policies.shadow.js,
  // dist/break-glass/policies.js and dist/routes.json. The build writes its own copy of the file
  // beside them (dist/wrangler.toml; another output directory, as for the dev server, tests and
  // bench, gets one with its own paths, so concurrent builds never overwrite each other's inputs)
  // that also aliases the optional features' module. (wrangler 4.86 ignores `--alias` on `deploy`,
  // so the aliases must live in the config file.)
  const staging = outDir === defaultOut ? join(ROOT, "dist") : outDir;
  mkdirSync(staging, { recursive: true });
  const policiesFile = join(staging, "policies.js");
  const routesFile = join(staging, "routes.json");
  const compiled = compilePolicyProject({ policiesDir, outFile: policiesFile });
  // Always written, so a shadow set of an earlier build never ships by accident
  const shadowFile = join(staging, "policies.shadow.js");
  let shadowPolicyVersion: string | null = null;
  if (options.shadowDir !== undefined) {
    const shadowDir = resolve(options.shadowDir);
    if (!existsSync(shadowDir)) throw new BuildError(`shadow: expected a candidate policy project directory, got \`${shadowDir}\``);
    try {
      shadowPolicyVersion = compilePolicyProject({ policiesDir: shadowDir, outFile: shadowFile }).version;
    } catch (error) {
      throw new BuildError(`shadow policies \`${shadowDir}\`: ${error instanceof Error ? error.message : String(error)}`);
    }
  } else {
    writeFileSync(shadowFile, NO_SHADOW_MODULE);
  }
  // Always written too, so an emergency set of an earlier build never ships by accident
  const breakGlassFile = join(staging, "break-glass", "policies.js");
  const breakGlassPolicyVersion = compileBreakGlass(options.breakGlassDir, breakGlassFile);
  copyFileSync(routesSource, routesFile);
  const infraConfig = readFileSync(join(ROOT, "infra", "wrangler.toml"), "utf8");
  const features = resolveFeatures(options.features, options.config !== undefined ? options.config : bundledConfigOf(infraConfig));
  const featuresFile = join(staging, "features.js");
  writeFeaturesModule(featuresFile, features);
  // wrangler's alias matches the import specifier as written: every importer of the module sits one
  // folder below shared/, and the metafile check below proves the swap happened
  const derived = infraConfig
    .replace(/^\[alias\]$/m, `[alias]\n${JSON.stringify(FEATURES_SPECIFIER)} = ${JSON.stringify(featuresFile)}`)
    .replace(/^main = .*$/m, `main = ${JSON.stringify(join(ROOT, "functions", "worker", "index.ts"))}`)
    .replace(/^"@gatehouse\/policies" = .*$/m, `"@gatehouse/policies" = ${JSON.stringify(policiesFile)}`)
    .replace(/^"@gatehouse\/shadow-policies" = .*$/m, `"@gatehouse/shadow-policies" = ${JSON.stringify(shadowFile)}`)
    .replace(/^"@gatehouse\/break-glass-policies" = .*$/m, `"@gatehouse/break-glass-policies" = ${JSON.stringify(breakGlassFile)}`)
    .replace(/^"@gatehouse\/routes" = .*$/m, `"@gatehouse/routes" = ${JSON.stringify(routesFile)}`);
  const configFile = join(staging, "wrangler.toml");
  writeFileSync(configFile, derived);
  const metafile = join(staging, "worker.meta.json");
  const args = [join(ROOT, "node_modules", "wrangler", "bin", "wrangler.js"), "deploy", "--dry-run", "--outdir", outDir, "--config", configFile, "--metafile", metafile];
  const output = await run(process.execPath, args);
  if (options.verbose) process.stdout.write(output.text);
  if (output.code !== 0) throw new BuildError(`wrangler failed (exit ${output.code}):\n${output.text.trim()}`);
  const bundlePath = join(outDir, "index.js");
  if (!existsSync(bundlePath)) throw new BuildError(`wrangler wrote no ${bundlePath}:\n${output.text.trim()}`);
  if (features.length < OPTIONAL_FEATURES.length && bundledInputs(metafile, staging).includes(FEATURES_MODULE)) {
    throw new BuildError(`the bundle still holds every optional feature: an import of shared/features/index.ts other than \`${FEATURES_SPECIFIER}\` escaped the alias`);
  }
  const bundle = readFileSync(bundlePath);
  return { bundlePath, bytes: bundle.length, gzipBytes: gzipSync(bundle, { level: 9 }).length, policyVersion: compiled.version, shadowPolicyVersion, breakGlassPolicyVersion, features };
}

/** The `GATEHOUSE_CONFIG` var of a wrangler.toml (a TOML multi-line literal string of JSON); `undefined` when absent or unreadable. */
export function bundledConfigOf(wranglerToml: string): unknown {
  const match = /^GATEHOUSE_CONFIG = '''\n?([\s\S]*?)'''/m.exec(wranglerToml);
  if (match === null) return undefined;
  try {
    return JSON.parse(match[1]!);
  } catch {
    return undefined;
  }
}

// The absolute paths of the files esbuild bundled, from wrangler's metafile (paths relative to the config's folder)
function bundledInputs(metafile: string, cwd: string): string[] {
  const meta = JSON.parse(readFileSync(metafile, "utf8")) as { outputs: Record<string, { inputs?: Record<string, unknown> }> };
  return Object.values(meta.outputs).flatMap((output) => Object.keys(output.inputs ?? {}).map((input) => resolve(cwd, input)));
}

/** Compiles the break-glass project to `outFile`, or writes the `null` module without one; its version or `null`. */
function compileBreakGlass(breakGlassDir: string | undefined, outFile: string): string | null {
  mkdirSync(dirname(outFile), { recursive: true });
  if (breakGlassDir === undefined) {
    writeFileSync(outFile, NO_BREAK_GLASS_MODULE);
    return null;
  }
  const dir = resolve(breakGlassDir);
  if (!existsSync(dir)) throw new BuildError(`break-glass: expected a policy project directory, got \`${dir}\``);
  try {
    return compilePolicyProject({ policiesDir: dir, outFile }).version;
  } catch (error) {
    throw new BuildError(`break-glass policies \`${dir}\`: ${error instanceof Error ? error.message : String(error)}`);
  }
}

// From the installed package (issue #15) there is no wrangler and no repository: esbuild bundles a
// generated entry that does what a user's Worker entry does (`createWorker` from `gatehouse/worker`),
// with wrangler's resolution conditions, in the project's .gatehouse/ (or `outDir`)
async function bundleInstalled(options: BuildWorkerOptions): Promise<BuiltWorker> {
  const policiesDir = resolve(options.policiesDir ?? "policies");
  const outDir = resolve(options.outDir ?? join(".gatehouse", "worker"));
  const routesSource = join(policiesDir, "routes.json");
  if (!existsSync(routesSource)) throw new BuildError(`${routesSource}: expected the route table of the policy project`);
  mkdirSync(outDir, { recursive: true });
  const compiled = compilePolicyProject({ policiesDir, outFile: join(outDir, "policies.js") });
  let shadowPolicyVersion: string | null = null;
  if (options.shadowDir !== undefined) {
    const shadowDir = resolve(options.shadowDir);
    if (!existsSync(shadowDir)) throw new BuildError(`shadow: expected a candidate policy project directory, got \`${shadowDir}\``);
    shadowPolicyVersion = compilePolicyProject({ policiesDir: shadowDir, outFile: join(outDir, "policies.shadow.js") }).version;
  } else {
    writeFileSync(join(outDir, "policies.shadow.js"), NO_SHADOW_MODULE);
  }
  const breakGlassPolicyVersion = compileBreakGlass(options.breakGlassDir, join(outDir, "break-glass", "policies.js"));
  copyFileSync(routesSource, join(outDir, "routes.json"));
  const entry = join(outDir, "entry.js");
  writeFileSync(
    entry,
    [
      'import { createWorker } from "gatehouse/worker";',
      'import policies from "./policies.js";',
      'import shadowPolicies from "./policies.shadow.js";',
      'import breakGlassPolicies from "./break-glass/policies.js";',
      'import routes from "./routes.json";',
      "export default createWorker({ policies, shadowPolicies, breakGlassPolicies, routes });",
      "",
    ].join("\n"),
  );
  const bundlePath = join(outDir, "index.js");
  const { build } = await import("esbuild");
  try {
    await build({
      entryPoints: [entry],
      outfile: bundlePath,
      bundle: true,
      format: "esm",
      platform: "neutral",
      conditions: ["workerd", "worker", "browser"],
      mainFields: ["browser", "module", "main"],
      target: "es2022",
      minify: true,
      // `gatehouse` itself resolves from the project; this covers a CLI run from elsewhere (npx)
      nodePaths: [dirname(packageRoot())],
      logLevel: "silent",
    });
  } catch (error) {
    throw new BuildError(`bundle: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}`);
  }
  const bundle = readFileSync(bundlePath);
  // The installed package's `gatehouse/worker` is one prebuilt module: every feature stays in
  return { bundlePath, bytes: bundle.length, gzipBytes: gzipSync(bundle, { level: 9 }).length, policyVersion: compiled.version, shadowPolicyVersion, breakGlassPolicyVersion, features: [...OPTIONAL_FEATURES] };
}

function run(command: string, args: string[]): Promise<{ code: number; text: string }> {
  return new Promise((resolvePromise) => {
    const child = spawn(command, args, {
      cwd: ROOT,
      // no telemetry prompt, no update check, no colour codes in what we show
      env: { ...process.env, WRANGLER_SEND_METRICS: "false", WRANGLER_HIDE_BANNER: "true", NO_COLOR: "1", FORCE_COLOR: "0", CI: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let text = "";
    child.stdout.on("data", (chunk) => (text += chunk));
    child.stderr.on("data", (chunk) => (text += chunk));
    child.on("error", (error) => resolvePromise({ code: 1, text: String(error) }));
    child.on("close", (code) => resolvePromise({ code: code ?? 1, text }));
  });
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { policies: { type: "string" }, out: { type: "string" }, shadow: { type: "string" }, "break-glass": { type: "string" }, features: { type: "string" }, verbose: { type: "boolean" } } });
  try {
    const built = await buildWorker({ policiesDir: values.policies, outDir: values.out, shadowDir: values.shadow, breakGlassDir: values["break-glass"], features: parseFeaturesFlag(values.features), verbose: values.verbose });
    const shadow = built.shadowPolicyVersion === null ? "" : `, shadow policies ${built.shadowPolicyVersion.slice(0, 12)}`;
    const glass = built.breakGlassPolicyVersion === null ? "" : `, break-glass policies ${built.breakGlassPolicyVersion.slice(0, 12)}`;
    console.log(`worker bundle: ${built.bundlePath} (${built.bytes} bytes, ${built.gzipBytes} gzip; policies ${built.policyVersion.slice(0, 12)}${shadow}${glass}; optional features: ${built.features.join(", ") || "none"})`);
  } catch (error) {
    console.error(`build:worker: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  }
}
