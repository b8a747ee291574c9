import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { frozenClock } from "../../../shared/clock/index.ts";
import { createAuditLogger, memorySink } from "../../../shared/audit/index.ts";
import { repoRoot } from "../../harness/index.ts";
import { NOW_MS, decisionPaths } from "../../shared/audit/fixtures.ts";

const dir = mkdtempSync(join(tmpdir(), "gatehouse-audit-"));

function run(args: string[], stdin?: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", "tools/cli/main.ts", ...args], { cwd: repoRoot, stdio: "pipe" });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin ?? "");
  });
}

function sampleLog(): string {
  const sink = memorySink();
  const logger = createAuditLogger({}, { platform: "lambda", sink, clock: frozenClock(NOW_MS), policyVersion: "v1", shadowPolicyVersion: "v2" });
  const paths = decisionPaths();
  for (const name of ["allow_by_policy", "deny_by_forbid", "deny_expired_token", "allow_shadow_disagrees", "allow_shadow_agrees", "deny_no_route"]) {
    logger.log(paths[name]);
  }
  return sink.lines.join("\n") + "\n";
}

describe("gatehouse audit report (child process)", () => {
  it("reads a file and prints the text report", async () => {
    const file = join(dir, "audit.ndjson");
    writeFileSync(file, sampleLog());
    const { code, stdout, stderr } = await run(["audit", "report", file]);
    expect(stderr).toBe("");
    expect(code).toBe(0);
    expect(stdout).toMatch(/lines:\s+6 read, 6 decisions/);
    expect(stdout).toMatch(/expired\s+1/);
    expect(stdout).toContain("1 disagree");
  });

  it("reads standard input with `-` and prints JSON figures", async () => {
    const { code, stdout } = await run(["audit", "report", "-", "--json"], sampleLog());
    expect(code).toBe(0);
    const summary = JSON.parse(stdout);
    expect(summary).toMatchObject({ decisions: 6, allow: 3, deny: 3, shadow: { evaluated: 2, disagreements: 1 } });
  });

  it("counts malformed lines and carries on (no crash)", async () => {
    const input = "garbage\n" + sampleLog() + '{"half": \n\u0000\u0001binary\n';
    const { code, stdout } = await run(["audit", "report", "-", "--json"], input);
    expect(code).toBe(0);
    expect(JSON.parse(stdout).malformed).toEqual({ count: 3, firstLines: [1, 8, 9] });
  });

  it("writes a self-contained HTML page with --html", async () => {
    const out = join(dir, "report.html");
    const { code } = await run(["audit", "report", "-", "--html", out], sampleLog());
    expect(code).toBe(0);
    const html = readFileSync(out, "utf8");
    expect(html).toContain("<svg");
    expect(html).toContain("Shadow policies");
  });

  it("handles an empty input", async () => {
    const { code, stdout } = await run(["audit", "report", "-"], "");
    expect(code).toBe(0);
    expect(stdout).toContain("0 read, 0 decisions");
  });

  it("exits 2 with one line for a missing file", async () => {
    const { code, stderr } = await run(["audit", "report", join(dir, "nope.ndjson")]);
    expect(code).toBe(2);
    expect(stderr.trim().split("\n")).toHaveLength(1);
    expect(stderr).toMatch(/gatehouse audit: cannot read `.*nope\.ndjson`: not a file/);
  });

  it("exits 2 for an unknown subcommand, a bad --top and an unknown flag", async () => {
    for (const args of [["audit", "summarise", "-"], ["audit", "report", "-", "--top", "0"], ["audit", "report", "-", "--colour"], ["audit"]]) {
      const { code, stderr } = await run(args);
      expect(code).toBe(2);
      expect(stderr).toMatch(/^gatehouse audit: /);
    }
  });
});
