// `npm test` runs the example project's policy suite the way a user would: `gatehouse test` on policies/.
import { describe, expect, it, vi } from "vitest";
import { repoRoot } from "../../harness/index.ts";
import { runCli } from "./cli.ts";

// Each test spawns the CLI (tsx, cedar-wasm): seconds apiece, more on a loaded machine
vi.setConfig({ testTimeout: 120_000 });

describe("example policies: gatehouse test", () => {
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
});
