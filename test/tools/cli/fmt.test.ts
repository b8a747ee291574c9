import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { projectsForFile, runCli } from "./cli.ts";

// Each test spawns the CLI (tsx, cedar-wasm): seconds apiece, more on a loaded machine
vi.setConfig({ testTimeout: 120_000 });

const UNFORMATTED = '// keep me\n@id("p")\npermit(principal,action,resource)when{principal.tenant=="a"};\n';
const FORMATTED = '// keep me\n@id("p")\npermit (principal, action, resource)\nwhen { principal.tenant == "a" };\n';

// Each test has its own project folder (with only the files it gives), so the tests run concurrently
const project = projectsForFile({});

describe.concurrent("gatehouse fmt", () => {
  it("--check lists unformatted files, exits 1 and changes nothing", async () => {
    const p = project({ "policies/a.cedar": UNFORMATTED, "policies/b.cedar": FORMATTED });
    const run = await runCli(["fmt", "--check"], { cwd: p.dir });
    expect(run.code).toBe(1);
    expect(run.stdout.trim()).toBe("would reformat policies/a.cedar");
    expect(run.stderr.trim()).toBe("1 of 2 files not formatted: run `gatehouse fmt`");
    expect(readFileSync(join(p.dir, "policies/a.cedar"), "utf8")).toBe(UNFORMATTED);
  });

  it("formats in place with Cedar's formatter, keeping comments; then --check passes", async () => {
    const p = project({ "policies/a.cedar": UNFORMATTED });
    const run = await runCli(["fmt"], { cwd: p.dir });
    expect(run.code).toBe(0);
    expect(run.stdout.trim()).toBe("formatted policies/a.cedar");
    expect(readFileSync(join(p.dir, "policies/a.cedar"), "utf8")).toBe(FORMATTED);
    const again = await runCli(["fmt", "--check", "policies/a.cedar"], { cwd: p.dir });
    expect(again.code).toBe(0);
    expect(again.stdout.trim()).toBe("1 file already formatted");
  });

  it("a syntax error is reported with file:line and exits 1", async () => {
    const p = project({ "policies/a.cedar": "permit (principal, action, resource)\nwhen { ;\n" });
    const run = await runCli(["fmt"], { cwd: p.dir });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^policies\/a\.cedar:2:\d+: .*unexpected token/m);
    expect(run.stderr).toMatch(/^fmt failed: 1 file with syntax errors$/m);
  });

  it("a bad --line-width is a usage error", async () => {
    const run = await runCli(["fmt", "--line-width", "wide"], { cwd: project({ "policies/a.cedar": FORMATTED }).dir });
    expect(run.code).toBe(2);
    expect(run.stderr.trim()).toBe("gatehouse fmt: --line-width: expected an integer from 40 to 200, got `wide`");
  });
});
