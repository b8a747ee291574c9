import { existsSync } from "node:fs";
import { resolve } from "node:path";

const repoRoot = resolve(import.meta.dirname, "..", "..");

/**
 * Where the Cedar conformance corpus lives: `$CEDAR_CORPUS`, else `../shared/cedar-corpus` beside
 * the checkout. `undefined` when absent; under `CI=true` absence is an error, so CI cannot go green
 * by skipping conformance.
 */
export function findCedarCorpus(): string | undefined {
  const dir = process.env.CEDAR_CORPUS ?? resolve(repoRoot, "..", "shared", "cedar-corpus");
  if (existsSync(resolve(dir, "handwritten.jsonl"))) return dir;
  if (process.env.CI === "true") {
    throw new Error(`cedar corpus not found at \`${dir}\`: CI requires it (set CEDAR_CORPUS or place it beside the checkout)`);
  }
  return undefined;
}

export { repoRoot };
