import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { projectsForFile, runCli, STACK_TRACE } from "./cli.ts";

// Each test spawns the CLI (tsx, cedar-wasm): seconds apiece, more on a loaded machine
vi.setConfig({ testTimeout: 120_000 });

// Each test has its own project folder, so the tests of a group run concurrently
const project = projectsForFile();

// A config whose only issuer maps claims differently from the built-in mapping.
function configWithAttributes(attributes: Record<string, unknown>): string {
  return JSON.stringify({
    token: { issuers: [{ issuer: "https://idp.example", audience: "docs", algorithms: ["HS256"], secret: "s".repeat(32), claims: { attributes } }] },
  });
}

describe.concurrent("gatehouse build: success", () => {
  it("compiles to dist/, writes the types, and warns about a route no policy permits", async () => {
    const p = project();
    const run = await runCli(["build"], { cwd: p.dir });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^built dist\/policies\.js: 2 policies, version [0-9a-f]{12}, 1 warning$/m);
    expect(run.stderr).toContain("warning: route `PUT /docs/:tenant/:id` (action `EditDoc`) is denied for everyone: no permit policy applies to it [route_never_permitted]");
    expect(readFileSync(join(p.dir, "dist/policies.js"), "utf8")).toContain('"readers-read"');
    const types = readFileSync(join(p.dir, "dist/policy-types.ts"), "utf8");
    expect(types).toContain("export interface ReadDocRequest {");
    expect(types).toContain("clearance?: number;");
  });

  it("--out and --shadow write the enforced and the candidate policy sets", async () => {
    const p = project({ "candidate/docs.cedar": '@id("readers-read")\npermit (principal in Role::"reader", action == Action::"ReadDoc", resource);\n' });
    for (const file of ["schema.cedarschema", "entities.json", "routes.json"]) p.write(`candidate/${file}`, readFileSync(join(p.dir, "policies", file), "utf8"));
    const run = await runCli(["build", "--out", "out", "--shadow", "candidate"], { cwd: p.dir });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^built out\/policies\.shadow\.js: 1 candidate policies, version [0-9a-f]{12}$/m);
    expect(existsSync(join(p.dir, "out/policies.js"))).toBe(true);
    expect(readFileSync(join(p.dir, "out/policies.shadow.js"), "utf8")).not.toContain("no-suspended");
  });

  it("validate checks everything and writes nothing", async () => {
    const p = project();
    const run = await runCli(["validate"], { cwd: p.dir });
    expect(run.code).toBe(0);
    expect(run.stdout.trim()).toBe("valid: 2 policies, 1 warning");
    expect(existsSync(join(p.dir, "dist"))).toBe(false);
  });

  it("types prints TypeScript for the schema", async () => {
    const run = await runCli(["types"], { cwd: project().dir });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('export type ActionName = "EditDoc" | "ReadDoc";');
  });
});

describe.concurrent("gatehouse build: user errors", () => {
  it("a syntax error prints file:line and Cedar's message, exits 1 and writes nothing", async () => {
    const p = project({ "policies/broken.cedar": '@id("broken")\npermit (principal, action, resource)\nwhen { principal.tenant == };\n' });
    const run = await runCli(["build"], { cwd: p.dir });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^broken\.cedar:3:\d+: error: .*unexpected token `\}`/m);
    expect(run.stderr).toMatch(/^build failed: 1 error$/m);
    expect(run.stderr).not.toMatch(STACK_TRACE);
    expect(existsSync(join(p.dir, "dist"))).toBe(false);
  });

  it("a policy that fails schema validation names the policy and the attribute", async () => {
    const p = project({ "policies/typo.cedar": '@id("typo")\npermit (principal, action, resource)\nwhen { principal.tennant == "x" };\n' });
    const run = await runCli(["validate"], { cwd: p.dir });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/typo\.cedar:\d+(:\d+)?: error: .*tennant/);
  });

  it("--strict turns the analysis warning into a failure", async () => {
    const p = project();
    const run = await runCli(["build", "--strict"], { cwd: p.dir });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^build failed: 1 analysis error \(--strict\)$/m);
    expect(existsSync(join(p.dir, "dist"))).toBe(false);
  });

  it("a claims mapping that cannot supply a required attribute fails with the attribute, the policy and the issuer", async () => {
    const p = project({ "gatehouse.json": configWithAttributes({ suspended: { claim: "suspended", type: "boolean", default: false } }) });
    const run = await runCli(["build", "--config", "gatehouse.json"], { cwd: p.dir });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      "docs.cedar:2: error: policy `readers-read` reads `principal.tenant` (String, required in the schema), but the claims mapping of issuer `https://idp.example` supplies no claim for it: add `claims.attributes.tenant` [claim_missing]",
    );
  });

  it("a claims mapping that supplies the wrong type fails with the claim, the attribute and the policy", async () => {
    const p = project({
      "gatehouse.json": configWithAttributes({ tenant: { claim: ["org", "id"], type: "long" }, suspended: { claim: "suspended", type: "boolean" } }),
    });
    const run = await runCli(["build", "--config", "gatehouse.json"], { cwd: p.dir });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("error: policy `readers-read` reads `principal.tenant` as String, but issuer `https://idp.example` maps claim `org.id` to it as long (Long) [claim_type_mismatch]");
  });

  it("a bad config file is one line naming the field", async () => {
    const p = project({ "gatehouse.json": JSON.stringify({ token: { issuers: [] } }) });
    const run = await runCli(["build", "--config", "gatehouse.json"], { cwd: p.dir });
    expect(run.code).toBe(1);
    expect(run.stderr.trim()).toBe("gatehouse build: token.issuers: expected a non-empty array of issuers, got `[]`");
  });

  it("an unknown flag is a usage error (exit 2)", async () => {
    const run = await runCli(["build", "--bogus"], { cwd: project().dir });
    expect(run.code).toBe(2);
    expect(run.stderr.trim()).toBe("gatehouse build: unknown option `--bogus`");
  });

  it("a missing policies directory is a usage error", async () => {
    const run = await runCli(["build", "--policies", "nowhere"], { cwd: project().dir });
    expect(run.code).toBe(2);
    expect(run.stderr.trim()).toBe("gatehouse build: policies directory `nowhere` not found");
  });
});
