import { describe, expect, it, vi } from "vitest";
import { projectsForFile, runCli } from "./cli.ts";

// Each test spawns the CLI (tsx, cedar-wasm): seconds apiece, more on a loaded machine
vi.setConfig({ testTimeout: 120_000 });

// Each test has its own project folder, so the tests of a group run concurrently
const project = projectsForFile();

const RITA = JSON.stringify({ sub: "rita", tenant: "acme", groups: ["reader"], scope: "docs:read" });

describe.concurrent("gatehouse check", () => {
  it("prints the decision and exits 0 on allow", async () => {
    const run = await runCli(["check", "--claims", "rita.json", "GET", "/docs/acme/d1"], { cwd: project({ "rita.json": RITA }).dir });
    expect(run.code).toBe(0);
    expect(run.stdout.trim()).toBe("allow (allowed) by readers-read");
  });

  it("--explain shows the determining policy with file:line and the Cedar request; exits 1 on deny", async () => {
    const claims = JSON.stringify({ sub: "sam", tenant: "acme", groups: ["reader"], scope: "docs:read", suspended: true });
    const run = await runCli(["check", "--claims", "sam.json", "GET", "/docs/acme/d1", "--explain", "--now", "2026-03-01T10:00:00Z"], { cwd: project({ "sam.json": claims }).dir });
    expect(run.code).toBe(1);
    expect(run.stdout).toContain("deny (policy_denied) by no-suspended\n");
    expect(run.stdout).toMatch(/^ {2}no-suspended +forbid {2}docs\.cedar:7$/m);
    expect(run.stdout).toMatch(/scope matched, conditions not satisfied\n {2}readers-read +permit {2}docs\.cedar:2\n/);
    expect(run.stdout).toContain('  principal: User::"sam"\n  action:    Action::"ReadDoc"\n  resource:  Doc::"acme/d1"\n');
    expect(run.stdout).toContain('"time":{"__extn":{"fn":"datetime","arg":"2026-03-01T10:00:00.000Z"}}');
    expect(run.stdout).toContain('User::"sam" {"tenant":"acme","suspended":true} in [Role::"reader"]');
  });

  // The store's records for the request, through the production entity stage
  it("--live-entities: a record suspending the user denies, a record of the wrong type is entity_invalid", async () => {
    const suspended = JSON.stringify([{ uid: { type: "User", id: "rita" }, attrs: { tenant: "acme", suspended: true } }]);
    const wrong = JSON.stringify([{ uid: { type: "User", id: "rita" }, attrs: { tenant: 7, suspended: false } }]);
    const p = project({ "rita.json": RITA, "suspended.json": suspended, "wrong.json": wrong });
    const denied = await runCli(["check", "--claims", "rita.json", "--live-entities", "suspended.json", "GET", "/docs/acme/d1"], { cwd: p.dir });
    expect(denied.code).toBe(1);
    expect(denied.stdout.trim()).toBe("deny (policy_denied) by no-suspended");
    const invalid = await runCli(["check", "--claims", "rita.json", "--live-entities", "wrong.json", "GET", "/docs/acme/d1"], { cwd: p.dir });
    expect(invalid.code).toBe(1);
    expect(invalid.stdout).toContain("entity_invalid");
  });

  it("--explain lists a policy that errored and why (with --principal instead of claims)", async () => {
    const principal = JSON.stringify({ uid: { type: "User", id: "rita" }, attrs: { tenant: "acme", suspended: false, clearance: 7 }, parents: [{ type: "Role", id: "reader" }] });
    const p = project({
      "rita.json": principal,
      // Valid Cedar that errors at run time: 7 * 2^62 overflows a Long, so the forbid is skipped
      "policies/clearance.cedar": '@id("clearance-overflow")\nforbid (principal, action == Action::"ReadDoc", resource)\nwhen { principal has clearance && principal.clearance * 4611686018427387904 > 1 };\n',
    });
    const run = await runCli(["check", "--principal", "rita.json", "GET", "/docs/acme/d1", "--context", '{"scopes":["docs:read"]}', "--explain"], { cwd: p.dir });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/errored policies \(skipped\)\n {2}clearance-overflow +forbid {2}clearance\.cedar:1 {2}.*overflow/);
  });

  it("--context is merged over the pipeline's context", async () => {
    const claims = JSON.stringify({ sub: "rita", tenant: "acme", groups: ["reader"] });
    const run = await runCli(["check", "--claims", "-", "GET", "/docs/acme/d1", "--context", '{"scopes":["docs:read"]}'], { cwd: project().dir, stdin: claims });
    expect(run.stdout.trim()).toBe("allow (allowed) by readers-read");
  });

  it("explains a request no route maps", async () => {
    const run = await runCli(["check", "--claims", "rita.json", "GET", "/nowhere", "--explain"], { cwd: project({ "rita.json": RITA }).dir });
    expect(run.code).toBe(1);
    expect(run.stdout).toContain("deny (no_route)\nroute:       (none matched)\nwhy:         no route maps this method and path, and unmatched requests are denied");
  });
});

describe.concurrent("gatehouse check: user errors", () => {
  it("missing METHOD and PATH is a usage error", async () => {
    const run = await runCli(["check", "--claims", "rita.json"], { cwd: project({ "rita.json": RITA }).dir });
    expect(run.code).toBe(2);
    expect(run.stderr.trim()).toBe("gatehouse check: expected METHOD and PATH, got 0 arguments");
  });

  it("a claims file that is not an object is a usage error naming the flag", async () => {
    const run = await runCli(["check", "--claims", "list.json", "GET", "/docs/acme/d1"], { cwd: project({ "list.json": "[1, 2]" }).dir });
    expect(run.code).toBe(2);
    expect(run.stderr.trim()).toBe("gatehouse check: --claims: expected an object in `list.json`");
  });

  it("bad --context json is a usage error", async () => {
    const run = await runCli(["check", "--claims", "rita.json", "GET", "/", "--context", "{nope"], { cwd: project({ "rita.json": RITA }).dir });
    expect(run.code).toBe(2);
    expect(run.stderr.trim()).toBe("gatehouse check: --context: expected a json object, got `{nope`");
  });
});
