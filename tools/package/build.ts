// `npm run build:package`: builds the published package into dist/lib (issue #15).
//   - JavaScript: esbuild bundles each entry (tools/package/entries.ts) as ESM, code-split so the
//     subpaths share one copy of the runtime; every package import stays external (dependencies and
//     peers resolve in the user's project, so their Hono is the one the middleware sees).
//   - Types: tsc emits declarations of the runtime entries; relative `.ts` specifiers become `.js`.
//   - Data: the JSON Schema of gatehouse.config.json and the files `gatehouse init` writes.
// Checks package.json's `exports` against the entry table, so a new subpath cannot be half-added.
import { spawnSync } from "node:child_process";
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { build } from "esbuild";
import { packageRoot } from "./mode.ts";
import { PACKAGE_OUT, PROGRAM_ENTRIES, RUNTIME_ENTRIES, subpathOf } from "./entries.ts";
import { configJsonSchema } from "./config-schema.ts";

const ROOT = packageRoot();
const OUT = join(ROOT, PACKAGE_OUT);

/** Builds dist/lib; throws with tsc's or esbuild's output on failure. */
export async function buildPackage(): Promise<{ files: number; out: string }> {
  checkExports();
  rmSync(OUT, { recursive: true, force: true });
  const entryPoints = Object.entries({ ...RUNTIME_ENTRIES, ...PROGRAM_ENTRIES }).map(([out, source]) => ({ in: join(ROOT, source), out }));
  await build({
    entryPoints,
    outdir: OUT,
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "node",
    // Lambda nodejs24.x/22.x and Node >= 20.19 run ES2022; workerd more
    target: "es2022",
    packages: "external",
    chunkNames: "chunks/[name]-[hash]",
    define: { __GATEHOUSE_PACKAGE__: "true" },
    legalComments: "none",
    logLevel: "warning",
  });
  emitDeclarations();
  writeFileSync(join(OUT, "gatehouse.config.schema.json"), `${JSON.stringify(configJsonSchema(), null, 2)}\n`);
  // `gatehouse init` copies these: this repo's example policy project and the per-target files
  cpSync(join(ROOT, "policies"), join(OUT, "init", "policies"), { recursive: true });
  cpSync(join(ROOT, "tools", "init", "templates"), join(OUT, "init", "templates"), { recursive: true });
  return { files: countFiles(OUT), out: OUT };
}

function emitDeclarations(): void {
  const tsconfig = join(ROOT, "dist", "tsconfig.package.json");
  mkdirSync(join(ROOT, "dist"), { recursive: true });
  writeFileSync(
    tsconfig,
    JSON.stringify({
      extends: "../tsconfig.base.json",
      compilerOptions: { noEmit: false, declaration: true, emitDeclarationOnly: true, rootDir: "..", outDir: `../${PACKAGE_OUT}/types`, lib: ["ES2023", "DOM", "DOM.Iterable"], types: ["node"] },
      files: Object.values(RUNTIME_ENTRIES).map((source) => `../${source}`),
    }),
  );
  const tsc = spawnSync(process.execPath, [join(ROOT, "node_modules", "typescript", "bin", "tsc"), "-p", tsconfig], { cwd: ROOT, encoding: "utf8" });
  if (tsc.status !== 0) throw new Error(`tsc failed:\n${tsc.stdout}${tsc.stderr}`);
  // tsc keeps `./x.ts` in declarations; a consumer resolves `./x.js` to `./x.d.ts`
  for (const file of walk(join(OUT, "types"))) {
    const text = readFileSync(file, "utf8");
    writeFileSync(file, text.replace(/((?:from|import)\s*\(?\s*["']\.{1,2}\/[^"']*)\.ts(["'])/g, "$1.js$2"));
  }
}

function checkExports(): void {
  const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { exports: Record<string, { types?: string; default?: string } | string> };
  const problems: string[] = [];
  for (const [name, source] of Object.entries(RUNTIME_ENTRIES)) {
    const entry = pkg.exports[subpathOf(name)];
    const types = `./${PACKAGE_OUT}/types/${source.replace(/\.ts$/, ".d.ts")}`;
    const js = `./${PACKAGE_OUT}/${name}.js`;
    if (typeof entry !== "object" || entry.types !== types || entry.default !== js) problems.push(`exports["${subpathOf(name)}"]: expected { "types": "${types}", "default": "${js}" }`);
  }
  if (problems.length > 0) throw new Error(`package.json does not match tools/package/entries.ts:\n${problems.join("\n")}`);
}

function* walk(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* walk(path);
    else yield path;
  }
}

function countFiles(dir: string): number {
  return [...walk(dir)].length;
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(ROOT, "tools/package/build.ts")) {
  const started = performance.now();
  try {
    const { files, out } = await buildPackage();
    console.log(`package built: ${out} (${files} files) in ${Math.round(performance.now() - started)} ms`);
  } catch (error) {
    console.error(`build:package: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  }
}
