import { describe, expect, it, vi } from "vitest";
import { makeProject, runCli } from "./cli.ts";

// Each test spawns the CLI (tsx, cedar-wasm): seconds apiece, more on a loaded machine
vi.setConfig({ testTimeout: 120_000 });

const COMMANDS = ["build", "check", "fmt", "test", "token", "types", "validate"];

describe("gatehouse: help and exit codes", () => {
  it("--help lists every policy command", async () => {
    const run = await runCli(["--help"], { cwd: process.cwd() });
    expect(run.code).toBe(0);
    for (const name of COMMANDS) expect(run.stdout).toMatch(new RegExp(`^  ${name} +\\S`, "m"));
  });

  it("each command's --help prints its usage and exits 0", async () => {
    for (const name of COMMANDS) {
      const run = await runCli([name, "--help"], { cwd: process.cwd() });
      expect(run.code, name).toBe(0);
      expect(run.stdout, name).toMatch(new RegExp(`^usage: gatehouse ${name}`));
      expect(run.stdout, name).toContain("exit codes:");
    }
  }, 180_000);

  it("an unknown command exits 2 with one line", async () => {
    const run = await runCli(["biuld"], { cwd: process.cwd() });
    expect(run.code).toBe(2);
    expect(run.stderr.trim()).toBe("gatehouse: unknown command `biuld`; run `gatehouse --help`");
  });
});

describe("gatehouse: colour", () => {
  it("is off when the output is not a terminal, and on with FORCE_COLOR", async () => {
    const p = makeProject();
    try {
      const plain = await runCli(["test"], { cwd: p.dir });
      expect(plain.stdout).not.toContain("\u001b[");
      const coloured = await runCli(["test"], { cwd: p.dir, env: { FORCE_COLOR: "1" } });
      expect(coloured.stdout).toContain("\u001b[32m✓\u001b[39m");
    } finally {
      p.cleanup();
    }
  }, 60_000);
});
