import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it, vi } from "vitest";
import { repoRoot } from "../../harness/index.ts";
import { BIN, makeProject, runCli } from "./cli.ts";

// Each test spawns the CLI (tsx, cedar-wasm): seconds apiece, more on a loaded machine
vi.setConfig({ testTimeout: 120_000 });

const COMMANDS = ["build", "check", "fmt", "test", "token", "types", "validate"];

describe.concurrent("gatehouse: help and exit codes", () => {
  it("--help lists every policy command", async () => {
    const run = await runCli(["--help"], { cwd: process.cwd() });
    expect(run.code).toBe(0);
    for (const name of COMMANDS) expect(run.stdout).toMatch(new RegExp(`^  ${name} +\\S`, "m"));
  });

  it("each command's --help prints its usage and exits 0", async () => {
    const runs = await Promise.all(COMMANDS.map((name) => runCli([name, "--help"], { cwd: process.cwd() })));
    COMMANDS.forEach((name, i) => {
      expect(runs[i].code, name).toBe(0);
      expect(runs[i].stdout, name).toMatch(new RegExp(`^usage: gatehouse ${name}`));
      expect(runs[i].stdout, name).toContain("exit codes:");
    });
  }, 180_000);

  it("an unknown command exits 2 with one line", async () => {
    const run = await runCli(["biuld"], { cwd: process.cwd() });
    expect(run.code).toBe(2);
    expect(run.stderr.trim()).toBe("gatehouse: unknown command `biuld`; run `gatehouse --help`");
  });
});

describe.concurrent("gatehouse: colour", () => {
  it("is off when the output is not a terminal, and on with FORCE_COLOR", async () => {
    const p = makeProject();
    try {
      const [plain, coloured] = await Promise.all([runCli(["test"], { cwd: p.dir }), runCli(["test"], { cwd: p.dir, env: { FORCE_COLOR: "1" } })]);
      expect(plain.stdout).not.toContain("\u001b[");
      expect(coloured.stdout).toContain("\u001b[32m✓\u001b[39m");
    } finally {
      p.cleanup();
    }
  }, 60_000);
});

/**
 * Runs node with `args` and counts `JSWasmCall` in its `--trace-turbo-reduction` output (megabytes:
 * counted as it streams). Optimisation runs on the main thread, so a loaded machine cannot leave the
 * hot loop unoptimised by the time it ends.
 */
function countWasmCallInlining(args: string[]): Promise<{ code: number | null; inlined: number; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--trace-turbo-reduction", "--no-concurrent-recompilation", "--import", fileURLToPath(new URL("./fixtures/hammer-cedar.mjs", import.meta.url)), ...args], { cwd: repoRoot, stdio: ["ignore", "pipe", "pipe"] });
    let inlined = 0;
    let tail = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      const text = tail + chunk;
      inlined += text.match(/JSWasmCall/g)?.length ?? 0;
      // A word split across chunks is found in the next one; a whole word never fits in the kept part
      tail = text.slice(-("JSWasmCall".length - 1));
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, inlined, stderr }));
  });
}

describe("gatehouse: one process, cedar-wasm safe", () => {
  // bin.js runs the CLI in its own process and sets --no-turbo-inline-js-wasm-calls itself (cedar-wasm
  // can abort V8 under Node 20 with that inlining). The fixture calls cedar-wasm hot after the command
  // ran; V8's trace shows whether TurboFan inlined those calls. The control, without bin.js, shows
  // that the same calls are inlined when the flag is not set, so the check can fail.
  it("bin.js forbids inlining JS→Wasm calls, where plain node inlines them", async () => {
    const [cli, control] = await Promise.all([countWasmCallInlining([BIN, "fmt", "--check", "policies"]), countWasmCallInlining(["-e", ""])]);
    expect(cli.code, cli.stderr).toBe(0);
    expect(cli.stderr).toContain("hammered cedar-wasm: 3000 parses");
    expect(control.stderr).toContain("hammered cedar-wasm: 3000 parses");
    expect(control.inlined).toBeGreaterThan(0);
    expect(cli.inlined).toBe(0);
  }, 180_000);
});
