// `npm test` runs the example project's policy suite the way a user would: `gatehouse test` on policies/.
import { describe, expect, it, vi } from "vitest";
import { repoRoot } from "../../harness/index.ts";
import { runCli } from "./cli.ts";

// Each test spawns the CLI (tsx, cedar-wasm): seconds apiece, more on a loaded machine
vi.setConfig({ testTimeout: 120_000 });

// The three only read policies/, so they run concurrently
describe.concurrent("example policies: gatehouse test", () => {
  it("every case in policies/tests passes through the compiled pipeline, covering every policy and route", async () => {
    const run = await runCli(["test", "--coverage"], { cwd: repoRoot });
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("  every policy decided at least one case\n  every route matched at least one case\n");
    expect(run.stdout).toMatch(/^(\d+) passed, 0 failed$/m);
    expect(Number(/^(\d+) passed/m.exec(run.stdout)![1])).toBeGreaterThanOrEqual(36);
  });

  it("the example project builds with no analysis warning under --strict", async () => {
    const run = await runCli(["validate", "--strict"], { cwd: repoRoot });
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
  });

  // The walkthrough (docs/policy-authoring.md) shows file:line of these policies, so they stay as
  // Cedar's formatter writes them
  it("the example policies are in Cedar's formatter style: `gatehouse fmt --check` passes", async () => {
    const run = await runCli(["fmt", "--check", "policies"], { cwd: repoRoot });
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout.trim()).toMatch(/^\d+ files already formatted$/);
  });
});
