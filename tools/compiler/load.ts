import { createHash } from "node:crypto";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { CompiledPolicySet } from "../../shared/policy/index.ts";
import { PACKAGED } from "../package/mode.ts";
import { RUNTIME_ENTRY } from "./compile.ts";

// Installed, the package folder is not ours to write: the project's .gatehouse/ instead
const TMP_DIR = PACKAGED ? resolve(".gatehouse/tmp") : resolve(dirname(fileURLToPath(import.meta.url)), "../../.gatehouse/tmp");

let loaded = 0;
const RUNTIME_IMPORT = /^import \{ definePolicySet, ops \} from "[^"\n]*";$/m;

/**
 * Loads generated module source for tools and tests: it is written to `.gatehouse/tmp/` and
 * imported, which works under tsx and vitest alike. The runtime import is pointed at this
 * checkout's `shared/policy/index.ts`, whatever `outFile` the source was compiled for.
 * Build-time only; the runtime itself never evaluates code.
 */
export async function loadPolicyModule(source: string): Promise<CompiledPolicySet> {
  source = source.replace(RUNTIME_IMPORT, `import { definePolicySet, ops } from ${JSON.stringify(RUNTIME_ENTRY)};`);
  return (await loadRaw(source)) as CompiledPolicySet;
}

/**
 * Loads many generated sources with one import per `batch` of them (for the conformance run,
 * where thousands of small policy sets would otherwise cost one module load each). Each source's
 * body runs unchanged inside its own function; only the import and export lines are rewritten.
 */
export async function loadPolicyModules(sources: string[], batch = 250): Promise<CompiledPolicySet[]> {
  const out: CompiledPolicySet[] = [];
  for (let i = 0; i < sources.length; i += batch) {
    const bodies = sources.slice(i, i + batch).map((s) => {
      const body = s
        .replace(RUNTIME_IMPORT, "")
        .replace(/^export default policySet;$/m, "return policySet;")
        .replace(/^export const \w+ = policySet\.\w+;$/gm, "");
      return `(() => {\n${body}\n})(),`;
    });
    const source = `import { definePolicySet, ops } from ${JSON.stringify(RUNTIME_ENTRY)};\nexport default [\n${bodies.join("\n")}\n];\n`;
    const mod = await loadRaw(source);
    out.push(...(mod as unknown as CompiledPolicySet[]));
  }
  return out;
}

async function loadRaw(source: string): Promise<unknown> {
  mkdirSync(TMP_DIR, { recursive: true });
  const hash = createHash("sha256").update(source).digest("hex").slice(0, 24);
  const file = join(TMP_DIR, `policies-${process.pid}-${++loaded}-${hash}.mjs`);
  writeFileSync(file, source);
  try {
    return ((await import(/* @vite-ignore */ pathToFileURL(file).href)) as { default: unknown }).default;
  } finally {
    rmSync(file, { force: true });
  }
}
