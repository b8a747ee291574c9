// Runs the policy-authoring walkthrough (docs/policy-authoring.md, merged into the README) as a
// newcomer would: its edits applied to a copy of the example project, its shell blocks run by bash
// with `npx gatehouse` pointing at this checkout, and its printed output compared with the real one.
// `npm start` and `curl` are the dev server's; test/tools/dev/ exercises them.
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { spawn } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { repoRoot } from "../../harness/index.ts";
import { BIN, runCli } from "./cli.ts";

vi.setConfig({ testTimeout: 180_000 });

const doc = readFileSync(join(repoRoot, "docs", "policy-authoring.md"), "utf8");
const blocks = [...doc.matchAll(/```(\w+)\n([\s\S]*?)```/g)].map((m) => ({ lang: m[1], body: m[2] }));
const block = (lang: string, index = 0) => blocks.filter((b) => b.lang === lang)[index].body;

let dir: string;

/**
 * Runs one shell block of the walkthrough; resolves to its stdout and the exit code of each
 * `gatehouse` call. `name` names the block's call log, so independent blocks can run at once.
 */
function runBlock(body: string, name: string): Promise<{ stdout: string; codes: { args: string; code: number }[] }> {
  const log = join(dir, ".bin", `${name}.log`);
  writeFileSync(log, "");
  return new Promise((resolve, reject) => {
    const child = spawn("bash", ["-c", body], { cwd: dir, stdio: ["ignore", "pipe", "ignore"], env: { ...process.env, PATH: `${join(dir, ".bin")}:${process.env.PATH}`, FORCE_COLOR: "", GATEHOUSE_CALL_LOG: log } });
    let stdout = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.on("error", reject);
    child.on("close", () => {
      const codes = readFileSync(log, "utf8").trim().split("\n").filter(Boolean).map((line) => {
        const [code, ...args] = line.split(" ");
        return { args: args.join(" "), code: Number(code) };
      });
      resolve({ stdout, codes });
    });
  });
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "gatehouse-walkthrough-"));
  cpSync(join(repoRoot, "policies"), join(dir, "policies"), { recursive: true });
  // `npx gatehouse ...` → this checkout's CLI, recording each call's exit code in the block's log
  mkdirSync(join(dir, ".bin"));
  const shim = join(dir, ".bin", "npx");
  writeFileSync(shim, `#!/bin/sh\n[ "$1" = gatehouse ] || exit 127\nshift\n"${process.execPath}" "${BIN}" "$@"\ncode=$?\necho "$code $*" >> "$GATEHOUSE_CALL_LOG"\nexit $code\n`);
  chmodSync(shim, 0o755);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("docs/policy-authoring.md walkthrough", () => {
  it("shows the failure a new case gives before its policy exists, as printed", async () => {
    writeFileSync(join(dir, "policies/tests/orders.yaml"), readFileSync(join(dir, "policies/tests/orders.yaml"), "utf8") + block("yaml"));
    const run = await runCli(["test"], { cwd: dir });
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(block("text", 0));
  });

  it("1-2. edit, then `gatehouse test --coverage` passes every case", async () => {
    writeFileSync(join(dir, "policies/admin.cedar"), `${readFileSync(join(dir, "policies/admin.cedar"), "utf8")}\n${block("cedar")}`);
    const { stdout, codes } = await runBlock(block("sh", 0), "test");
    expect(codes).toEqual([{ args: "test --coverage", code: 0 }]);
    expect(stdout).toMatch(/^46 passed, 0 failed$/m);
    expect(stdout).toContain("every policy decided at least one case");
  });

  // 3 only reads the project (and writes eddie.json) and 4 only writes dist/ and .gatehouse/, so the two run at once
  it.concurrent("3. `gatehouse check --explain` prints the explanation shown, and --context turns it into an allow", async () => {
    const explain = await runBlock(block("sh", 1), "explain");
    expect(explain.codes).toEqual([{ args: "check --claims eddie.json GET /admin/audit --explain", code: 1 }]);
    const shown = block("text", 1).split("\n");
    const upToContext = shown.slice(0, shown.findIndex((line) => line.startsWith("  context:")));
    expect(explain.stdout).toContain(upToContext.join("\n"));

    // The second block reads the eddie.json the first one wrote
    const context = await runBlock(block("sh", 2), "context");
    expect(context.codes).toEqual([{ args: `check --claims eddie.json GET /admin/audit --context {"amr":["pwd","mfa"]}`, code: 0 }]);
    expect(context.stdout.trim()).toBe("allow (allowed) by editors-read-audit-with-mfa");
    expect(doc).toContain("prints `allow (allowed) by editors-read-audit-with-mfa` and exits 0");
  });

  it.concurrent("4. `gatehouse build` writes dist/ and `gatehouse token` mints a dev token", async () => {
    const { codes } = await runBlock(block("sh", 3), "build");
    expect(codes.map((c) => c.code)).toEqual([0, 0]);
    expect(codes[1].args).toBe("token --sub eddie --groups editor --tenant acme --amr pwd,mfa");
    expect(existsSync(join(dir, "dist/policies.js"))).toBe(true);
    expect(existsSync(join(dir, "dist/policy-types.ts"))).toBe(true);
    expect(existsSync(join(dir, ".gatehouse/dev-key.json"))).toBe(true);
  });

  it("the claims-mapping error shown is the one the build prints (see build.test.ts)", () => {
    const buildTest = readFileSync(join(repoRoot, "test/tools/cli/build.test.ts"), "utf8");
    const shown = block("text", 2).trim();
    expect(buildTest).toContain(shown.replace(/^docs\.cedar:2: /, ""));
  });
});
