import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

// The full Cedar conformance corpus through the build's code path (tools/conformance), run as
// `npm run conformance` runs it, in its own process under tsx: entities embedded and passed per
// request, policies compiled from their ESTs and from their Cedar text.
const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const dir = resolve(process.env.CEDAR_CORPUS ?? resolve(root, "../shared/cedar-corpus"));
const present = existsSync(dir);
const ci = process.env.CI === "true";

describe("Cedar conformance corpus", () => {
  if (!present && !ci) {
    it.skip(`corpus not found at ${dir}: set CEDAR_CORPUS to run it (required when CI=true)`, () => {});
    return;
  }

  it("is present (required in CI)", () => {
    expect(present, `corpus directory ${dir} is missing`).toBe(true);
  });

  it.runIf(present)("decides every request exactly as Cedar 4.10 does", () => {
    expect(conform(["--entities", "both", "--policies", "both"]).passed).toBeGreaterThan(0);
  }, 180_000);

  // The corpus's entities as live records through the entity stage's merge (shared/entities/merge.ts)
  it.runIf(present)("decides every request exactly as Cedar 4.10 does with the entities merged as live records", () => {
    const run = conform(["--entities", "live", "--policies", "both"]);
    expect(run.stdout).toContain("entities: live");
    expect(run.passed).toBeGreaterThan(10_000);
  }, 180_000);

  // The same corpus through the policy IR as JSON text and the bundle loader (shared/policy/bundle)
  it.runIf(present)("decides every request exactly as Cedar 4.10 does through the bundle loader", () => {
    const run = conform(["--entities", "both", "--policies", "both", "--loader", "bundle"]);
    expect(run.stdout).toContain("loader: bundle");
    expect(run.passed).toBeGreaterThan(30_000);
  }, 180_000);
});

/** Runs `npm run conformance`'s entry on the corpus with `options`; asserts it ends `N passed, 0 failed` and exits 0. */
function conform(options: readonly string[]): { stdout: string; passed: number } {
  const run = spawnSync(process.execPath, ["--no-turbo-inline-js-wasm-calls", "--import", "tsx", "tools/conformance/main.ts", dir, ...options], {
    cwd: root,
    encoding: "utf8",
    timeout: 170_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  const summary = /(\d+) passed, (\d+) failed/.exec(run.stdout);
  expect(summary, `no summary line:\n${run.stdout}\n${run.stderr}`).not.toBeNull();
  expect(Number(summary![2]), run.stdout).toBe(0);
  expect(run.status).toBe(0);
  return { stdout: run.stdout, passed: Number(summary![1]) };
}
