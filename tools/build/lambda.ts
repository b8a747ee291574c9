// `npm run build:lambda [-- --config FILE --policies DIR --out DIR --shadow DIR --break-glass DIR --features all|LIST]`: compile the policies
// (and a shadow candidate, and the break-glass set), bundle the Lambda authorizer into one ES module for
// Lambda nodejs24.x (dist/lambda/index.mjs, handler `index.handler`) and zip it (dist/lambda/function.zip).
import { build } from "esbuild";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { crc32, deflateRawSync, gzipSync } from "node:zlib";
import { compilePolicyProject } from "../compiler/index.ts";
import { checkSchema } from "../../shared/config/check-schema.ts";
import { withRoutes } from "../../functions/lambda/main.ts";
import type { RoutesFile } from "../../shared/routes/types.ts";
import { breakGlassMismatch } from "./break-glass.ts";
import { featuresPlugin, parseFeaturesFlag, resolveFeatures, writeFeaturesModule, type FeatureChoice, type OptionalFeature } from "./features.ts";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

/** Options of `buildLambda`; paths are relative to the working directory. */
export interface BuildLambdaOptions {
  /** `GatehouseConfig` JSON bundled into the function; default `gatehouse.config.json` when it exists, else none (then `GATEHOUSE_CONFIG` must be set at run time). `null`: none. */
  readonly configFile?: string | null;
  /** Policy project (`*.cedar`, schema, entities); default `policies`. */
  readonly policiesDir?: string;
  /** Route table bundled for a configuration without `routes`; default `<policiesDir>/routes.json`. */
  readonly routesFile?: string;
  /** Output directory; default `dist/lambda`. */
  readonly outDir?: string;
  /**
   * Shadow mode (issue #7): a candidate policy project bundled beside the enforced one, evaluated on
   * every request, recorded in the audit line's `shadow` field, never deciding. Default none.
   */
  readonly shadowDir?: string;
  /**
   * Emergency access: the break-glass policy project (docs/break-glass.md), bundled as the entry's
   * `breakGlassPolicies`; required when the configuration sets `breakGlass`. Default none.
   */
  readonly breakGlassDir?: string;
  /** A module whose default export replaces the compiled policies (benchmarks only); default none. */
  readonly policiesModule?: string;
  /** Packages left out of the bundle and loaded at run time; default none. */
  readonly external?: readonly string[];
  /** Minify; default true. */
  readonly minify?: boolean;
  /**
   * The optional features bundled (entities, policy bundles, rollout, introspection, discovery):
   * default those the config file names, or all without a config file (`GATEHOUSE_CONFIG` is then
   * read at run time). A configuration naming a feature the bundle lacks fails the init.
   */
  readonly features?: FeatureChoice;
}

/** What `buildLambda` wrote. */
export interface BuildLambdaResult {
  /** The entry module (`index.mjs`, handler `index.handler`); loaded chunks sit in `chunks/`. */
  readonly bundleFile: string;
  readonly zipFile: string;
  /** Size of the entry module. */
  readonly bundleBytes: number;
  readonly zipBytes: number;
  /** The entry module gzip-compressed (level 9), what every cold start loads. */
  readonly gzipBytes: number;
  /** Content hash of the compiled policies; `null` with `policiesModule`. */
  readonly policyVersion: string | null;
  /** Content hash of the candidate policies; `null` without `shadowDir`. */
  readonly shadowPolicyVersion: string | null;
  /** Content hash of the break-glass policies; `null` without `breakGlassDir`. */
  readonly breakGlassPolicyVersion: string | null;
  /** The optional features the bundle carries. */
  readonly features: readonly OptionalFeature[];
}

/** A build problem (bad path, policy compile error), printed as one line by the CLI. */
export class BuildError extends Error {
  override readonly name = "BuildError";
}

/** Builds the Lambda artifact. */
export async function buildLambda(options: BuildLambdaOptions = {}): Promise<BuildLambdaResult> {
  const policiesDir = resolve(options.policiesDir ?? "policies");
  const routesFile = resolve(options.routesFile ?? join(policiesDir, "routes.json"));
  const outDir = resolve(options.outDir ?? "dist/lambda");
  const configFile = options.configFile === undefined ? (existsSync("gatehouse.config.json") ? resolve("gatehouse.config.json") : null) : options.configFile && resolve(options.configFile);
  if (!existsSync(routesFile)) throw new BuildError(`routes: no file at \`${routesFile}\``);
  if (configFile && !existsSync(configFile)) throw new BuildError(`config: no file at \`${configFile}\``);
  const shadowDir = options.shadowDir === undefined ? undefined : resolve(options.shadowDir);
  if (shadowDir !== undefined && !existsSync(shadowDir)) throw new BuildError(`shadow: no policy project at \`${shadowDir}\``);
  const breakGlassDir = options.breakGlassDir === undefined ? undefined : resolve(options.breakGlassDir);
  if (breakGlassDir !== undefined && !existsSync(breakGlassDir)) throw new BuildError(`break-glass: no policy project at \`${breakGlassDir}\``);
  let config: unknown;
  if (configFile) {
    try {
      config = JSON.parse(readFileSync(configFile, "utf8"));
    } catch (error) {
      throw new BuildError(`config: \`${configFile}\` is not JSON: ${(error as Error).message}`);
    }
  }
  const mismatch = breakGlassMismatch(configFile ?? undefined, breakGlassDir);
  if (mismatch !== null) throw new BuildError(mismatch);

  mkdirSync(join(repoRoot, ".gatehouse"), { recursive: true });
  const work = mkdtempSync(join(repoRoot, ".gatehouse", "build-lambda-"));
  try {
    let policiesModule = options.policiesModule && resolve(options.policiesModule);
    let policyVersion: string | null = null;
    if (!policiesModule) {
      policiesModule = join(work, "policies.mjs");
      policyVersion = compilePolicyProject({ policiesDir, outFile: policiesModule }).version;
    }
    let shadowModule: string | undefined;
    let shadowPolicyVersion: string | null = null;
    if (shadowDir !== undefined) {
      shadowModule = join(work, "policies.shadow.mjs");
      try {
        shadowPolicyVersion = compilePolicyProject({ policiesDir: shadowDir, outFile: shadowModule }).version;
      } catch (error) {
        throw new BuildError(`shadow policies \`${shadowDir}\`: ${(error as Error).message.split("\n")[0]}`);
      }
    }
    let breakGlassModule: string | undefined;
    let breakGlassPolicyVersion: string | null = null;
    if (breakGlassDir !== undefined) {
      breakGlassModule = join(work, "policies.break-glass.mjs");
      try {
        breakGlassPolicyVersion = compilePolicyProject({ policiesDir: breakGlassDir, outFile: breakGlassModule }).version;
      } catch (error) {
        throw new BuildError(`break-glass policies \`${breakGlassDir}\`: ${(error as Error).message.split("\n")[0]}`);
      }
    }
    const features = resolveFeatures(options.features, configFile ? config : undefined);
    const featuresModule = join(work, "features.mjs");
    writeFeaturesModule(featuresModule, features);
    const entry = join(work, "entry.mjs");
    const href = (file: string) => JSON.stringify(pathToFileURL(file).pathname);
    writeFileSync(entry, [
      `import { createLambdaEntry } from ${href(join(repoRoot, "functions/lambda/main.ts"))};`,
      `import policies from ${href(policiesModule)};`,
      shadowModule ? `import shadowPolicies from ${href(shadowModule)};` : "const shadowPolicies = null;",
      breakGlassModule ? `import breakGlassPolicies from ${href(breakGlassModule)};` : "const breakGlassPolicies = null;",
      `import routes from ${href(routesFile)};`,
      configFile ? `import config from ${href(configFile)};` : "const config = undefined;",
      // Built during the init phase: a bad configuration fails the init, not each request
      `export const handler = await createLambdaEntry({ policies, shadowPolicies, breakGlassPolicies, routes, config, configSchemaChecked: ${configFile ? passesSchema(config, routesFile) : false} });`,
      "",
    ].join("\n"));

    // Only what an earlier build wrote: `--out` may name a directory holding other files
    for (const stale of ["index.mjs", "chunks", "function.zip"]) rmSync(join(outDir, stale), { recursive: true, force: true });
    mkdirSync(outDir, { recursive: true });
    const bundleFile = join(outDir, "index.mjs");
    const result = await build({
      entryPoints: { index: entry },
      outdir: outDir,
      outExtension: { ".js": ".mjs" },
      // The Redis and DynamoDB clients go to a chunk loaded only when the configuration names them,
      // so the common cold start parses and runs none of the AWS SDK
      splitting: true,
      chunkNames: "chunks/[name]-[hash]",
      metafile: true,
      bundle: true,
      platform: "node",
      format: "esm",
      target: "node24",
      minify: options.minify ?? true,
      legalComments: "none",
      external: [...(options.external ?? [])],
      // CommonJS dependencies (ioredis) call `require` for Node built-ins, which an ES module lacks
      banner: { js: "import { createRequire as __gatehouseRequire } from 'node:module'; const require = __gatehouseRequire(import.meta.url);" },
      plugins: [featuresPlugin(featuresModule)],
      logLevel: "silent",
    }).catch((error: Error) => {
      throw new BuildError(`bundle: ${error.message.split("\n")[0]}`);
    });
    const code = readFileSync(bundleFile);
    const outputs = Object.keys(result.metafile.outputs).map((file) => resolve(file)).sort();
    const zipFile = join(outDir, "function.zip");
    writeFileSync(zipFile, zip(outputs.map((file) => ({ name: relative(outDir, file).split(sep).join("/"), data: readFileSync(file) }))));
    return {
      bundleFile,
      zipFile,
      bundleBytes: code.length,
      zipBytes: statSync(zipFile).size,
      gzipBytes: gzipSync(code, { level: 9 }).length,
      policyVersion,
      shadowPolicyVersion,
      breakGlassPolicyVersion,
      features,
    };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

// The bundled configuration held against the configuration schema once, here, so the function's
// cold start need not build and run it (the stages' own checks still run there). One it refuses is
// bundled unmarked, and fails the init as it always did, naming the field.
function passesSchema(config: unknown, routesFile: string): boolean {
  try {
    checkSchema(withRoutes(config, JSON.parse(readFileSync(routesFile, "utf8")) as RoutesFile));
    return true;
  } catch {
    return false;
  }
}

/**
 * A ZIP archive (PKWARE APPNOTE 6.3.x, no ZIP64) of deflated files. Written here rather than with a
 * dependency: one file, a fixed date, ~40 lines on node:zlib, and byte-identical output for the
 * same input. Entries get mode 0644 so Lambda can read them.
 */
function zip(files: ReadonlyArray<{ name: string; data: Buffer }>): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  // 1980-01-01 00:00, the DOS epoch: the archive depends on nothing but its contents
  const dosTime = 0;
  const dosDate = (0 << 9) | (1 << 5) | 1;
  for (const file of files) {
    const name = Buffer.from(file.name, "utf8");
    const packed = deflateRawSync(file.data, { level: 9 });
    const crc = crc32(file.data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4); // version needed: 2.0 (deflate)
    local.writeUInt16LE(0x0800, 6); // UTF-8 names
    local.writeUInt16LE(8, 8); // deflate
    local.writeUInt16LE(dosTime, 10);
    local.writeUInt16LE(dosDate, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(packed.length, 18);
    local.writeUInt32LE(file.data.length, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(0, 28);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE((3 << 8) | 20, 4); // made by: Unix, 2.0 (so the mode below is read)
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(8, 10);
    central.writeUInt16LE(dosTime, 12);
    central.writeUInt16LE(dosDate, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(packed.length, 20);
    central.writeUInt32LE(file.data.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(((0o100644 << 16) >>> 0), 38); // external attributes: regular file, rw-r--r--
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, packed);
    centrals.push(central, name);
    offset += local.length + name.length + packed.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(files.length, 8);
  end.writeUInt16LE(files.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

function argValue(args: string[], flag: string): string | undefined {
  const index = args.indexOf(flag);
  return index >= 0 ? args[index + 1] : undefined;
}

async function main(args: string[]): Promise<number> {
  try {
    const result = await buildLambda({ configFile: argValue(args, "--config"), policiesDir: argValue(args, "--policies"), outDir: argValue(args, "--out"), shadowDir: argValue(args, "--shadow"), breakGlassDir: argValue(args, "--break-glass"), features: parseFeaturesFlag(argValue(args, "--features")) });
    const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
    console.log(`built ${result.bundleFile} (${kib(result.bundleBytes)}, ${kib(result.gzipBytes)} gzip) and ${result.zipFile} (${kib(result.zipBytes)})`);
    if (result.policyVersion) console.log(`policies ${result.policyVersion.slice(0, 12)}`);
    console.log(`optional features: ${result.features.join(", ") || "none"}`);
    if (result.shadowPolicyVersion) console.log(`shadow policies ${result.shadowPolicyVersion.slice(0, 12)} (evaluated beside, never deciding)`);
    if (result.breakGlassPolicyVersion) console.log(`break-glass policies ${result.breakGlassPolicyVersion.slice(0, 12)} (deciding for break-glass tokens only)`);
    return 0;
  } catch (error) {
    if (error instanceof Error && (error.name === "BuildError" || error.name === "PolicyCompileError")) {
      console.error(`build:lambda: ${error.message.split("\n")[0]}`);
      return 1;
    }
    throw error;
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) process.exitCode = await main(process.argv.slice(2));
