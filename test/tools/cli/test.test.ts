import { describe, expect, it, vi } from "vitest";
import { projectsForFile, runCli, STACK_TRACE } from "./cli.ts";

// Each test spawns the CLI (tsx, cedar-wasm): seconds apiece, more on a loaded machine
vi.setConfig({ testTimeout: 120_000 });

// Each test has its own project folder, so the tests of a group run concurrently
const project = projectsForFile();

describe.concurrent("gatehouse test: success", () => {
  it("runs every case through the pipeline and ends with the summary", async () => {
    const run = await runCli(["test"], { cwd: project().dir });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("tests/docs.yaml\n  ✓ allow: reader reads own tenant's doc\n");
    expect(run.stdout).toContain("  ✓ allow: health is public\n");
    expect(run.stdout.trimEnd().split("\n").at(-1)).toBe("4 passed, 0 failed");
  });

  it("--coverage lists the policies and routes no case exercised", async () => {
    const p = project({
      "policies/more.cedar": '@id("never-tested")\npermit (principal in Role::"reader", action == Action::"EditDoc", resource)\nwhen { principal.tenant == resource.tenant };\n',
    });
    const run = await runCli(["test", "--coverage"], { cwd: p.dir });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("  policies no case exercised: never-tested\n");
    expect(run.stdout).toContain("  routes no case requested: PUT /docs/:tenant/:id\n");
  });

  it("reads .json suites and principal entities instead of claims", async () => {
    const suite = {
      cases: [
        {
          name: "a principal given as an entity",
          principal: { uid: { type: "User", id: "u1" }, attrs: { tenant: "acme", suspended: false }, parents: [{ type: "Role", id: "reader" }] },
          request: "GET /docs/acme/d1",
          context: { scopes: ["docs:read"] },
          expect: "allow",
          policies: ["readers-read"],
        },
      ],
    };
    const run = await runCli(["test"], { cwd: project({ "policies/tests/entity.json": JSON.stringify(suite) }).dir });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("tests/entity.json\n  ✓ allow: a principal given as an entity");
    expect(run.stdout).toMatch(/5 passed, 0 failed\s*$/);
  });
});

describe.concurrent("gatehouse test: user errors", () => {
  it("a failing case shows a diff and exits 1", async () => {
    const p = project({
      "policies/tests/wrong.yaml": `cases:
  - name: wrongly expects a cross-tenant read
    claims: { sub: rita, tenant: acme, groups: [reader], scope: docs:read }
    request: GET /docs/globex/d1
    expect: allow
    policies: [readers-read]
`,
    });
    const run = await runCli(["test"], { cwd: p.dir });
    expect(run.code).toBe(1);
    expect(run.stdout).toContain("  ✗ allow: wrongly expects a cross-tenant read (GET /docs/globex/d1, cases[0])\n");
    expect(run.stdout).toContain("      - decision: allow\n      + decision: deny\n");
    expect(run.stdout).toContain("      - policies: [readers-read]\n      + policies: []\n");
    expect(run.stdout).toContain("reason policy_denied");
    expect(run.stdout.trimEnd().split("\n").at(-1)).toBe("4 passed, 1 failed");
  });

  it("an invalid case names the file and the field, and counts as a failure", async () => {
    const p = project({ "policies/tests/bad.yaml": "cases:\n  - name: typo in expect\n    request: GET /health\n    expect: permit\n" });
    const run = await runCli(["test"], { cwd: p.dir });
    expect(run.code).toBe(1);
    expect(run.stdout).toContain("✗ tests/bad.yaml: cases[0].expect: expected `allow` or `deny`, got `\"permit\"`");
    expect(run.stdout).toMatch(/4 passed, 1 failed\s*$/);
  });

  it("a policy syntax error stops the run with file:line", async () => {
    const p = project({ "policies/broken.cedar": "permit (principal, action, resource) when { ;\n" });
    const run = await runCli(["test"], { cwd: p.dir });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^broken\.cedar:1:\d+: error: /m);
    expect(run.stderr).not.toMatch(STACK_TRACE);
  });

  it("an unknown flag is a usage error", async () => {
    const run = await runCli(["test", "--covrage"], { cwd: project().dir });
    expect(run.code).toBe(2);
    expect(run.stderr.trim()).toBe("gatehouse test: unknown option `--covrage`");
  });
});

describe.concurrent("gatehouse test: security", () => {
  it("path tricks are refused by the pipeline's normalisation before any policy runs", async () => {
    const p = project({
      "policies/tests/paths.yaml": `defaults:
  claims: { sub: rita, tenant: acme, groups: [reader], scope: docs:read }
cases:
  - { name: dot-dot segment, request: GET /docs/acme/../globex/d1, expect: deny, reason: path_traversal }
  - { name: encoded slash, request: GET /docs/acme%2Fx/d1, expect: deny, reason: encoded_separator }
`,
    });
    const run = await runCli(["test"], { cwd: p.dir });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("✓ deny: dot-dot segment");
    expect(run.stdout).toContain("✓ deny: encoded slash");
  });

  it("a claim of the wrong type denies with claim_type, never an error", async () => {
    const p = project({
      "policies/tests/types.yaml": `cases:
  - name: groups as a string
    claims: { sub: rita, tenant: acme, groups: reader, scope: docs:read }
    request: GET /docs/acme/d1
    expect: deny
    reason: claim_type
`,
    });
    const run = await runCli(["test", "--filter", "groups as"], { cwd: p.dir });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/1 passed, 0 failed\s*$/);
  });
});
