import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { defaultClaimsMapping, resolveClaimsMapping, type ClaimsMapping } from "../../../shared/token/index.ts";
import { analyzeProject, loadProject, type Finding, type PolicyProject } from "../../../tools/analysis/index.ts";
import { repoRoot } from "../../harness/index.ts";
import { makeProject, SMALL_PROJECT } from "../cli/cli.ts";

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

/** The small CLI test project with `changes` (path → text, or a function of the old text). */
function load(changes: Record<string, string | ((old: string) => string)> = {}): PolicyProject {
  const files: Record<string, string> = { ...SMALL_PROJECT };
  for (const [path, change] of Object.entries(changes)) files[path] = typeof change === "function" ? change(files[path] ?? "") : change;
  const p = makeProject(files);
  cleanups.push(p.cleanup);
  const loaded = loadProject(join(p.dir, "policies"));
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.diagnostics));
  return loaded.project;
}

function analyze(project: PolicyProject, mapping: ClaimsMapping | null = null): Finding[] {
  return analyzeProject(project, [{ issuer: "idp", mapping: mapping === null ? defaultClaimsMapping : resolveClaimsMapping(mapping) }]);
}

const without = (findings: Finding[], code: string) => findings.filter((f) => f.code !== code);
const schema = "policies/schema.cedarschema";
const routes = (extra: object[]) => (old: string) => JSON.stringify({ routes: [...(JSON.parse(old) as { routes: object[] }).routes, ...extra] });

describe("analysis: projects that are right", () => {
  it("the example project has no finding", () => {
    const loaded = loadProject(join(repoRoot, "policies"));
    expect(loaded.ok).toBe(true);
    if (loaded.ok) expect(analyze(loaded.project)).toEqual([]);
  });

  it("the small project has only its never-permitted route", () => {
    expect(analyze(load())).toEqual([
      expect.objectContaining({ code: "route_never_permitted", severity: "warning", route: "PUT /docs/:tenant/:id" }),
    ]);
  });
});

describe("analysis: typed claims mapping", () => {
  it("claim_missing: a required attribute a policy reads that the mapping does not supply", () => {
    const findings = without(analyze(load(), { attributes: { suspended: { claim: "suspended", type: "boolean" } } }), "route_never_permitted");
    expect(findings).toEqual([
      expect.objectContaining({ code: "claim_missing", severity: "error", attribute: "principal.tenant", policy: "readers-read", file: "docs.cedar", line: 2, issuer: "idp" }),
    ]);
  });

  it("claim_type_mismatch: the mapping supplies another type, naming the claim", () => {
    const findings = without(analyze(load(), { attributes: { tenant: { claim: ["org", "id"], type: "string_set" }, suspended: { claim: "suspended", type: "boolean" } } }), "route_never_permitted");
    expect(findings).toEqual([expect.objectContaining({ code: "claim_type_mismatch", severity: "error", attribute: "principal.tenant", claim: "org.id", policy: "readers-read" })]);
  });

  it("claim_never_supplied: an optional attribute a policy tests that no claim supplies", () => {
    const project = load({ "policies/extra.cedar": '@id("cleared")\nforbid (principal, action, resource)\nunless { principal has clearance && principal.clearance > 1 };\n' });
    expect(without(analyze(project), "route_never_permitted")).toEqual([
      expect.objectContaining({ code: "claim_never_supplied", severity: "warning", attribute: "principal.clearance", policy: "cleared", file: "extra.cedar", line: 1 }),
    ]);
  });

  it("principal_type_mismatch: the mapping's principal type is not one the actions accept", () => {
    const findings = analyze(load(), { principalType: "Robot" });
    expect(findings).toContainEqual(expect.objectContaining({ code: "principal_type_mismatch", severity: "error", issuer: "idp" }));
  });

  it("parent_type_mismatch: group parents of a type the principal cannot be in", () => {
    const findings = analyze(load(), { parents: { claim: "teams", entityType: "Team" } });
    expect(findings).toContainEqual(expect.objectContaining({ code: "parent_type_mismatch", severity: "warning", claim: "teams" }));
  });

  it("context_missing: a required context field the mapping switches off", () => {
    const project = load({ "policies/mfa.cedar": '@id("mfa")\nforbid (principal, action, resource)\nunless { context.amr.contains("mfa") };\n' });
    expect(without(analyze(project, { amrClaim: null }), "route_never_permitted")).toEqual([
      expect.objectContaining({ code: "context_missing", severity: "error", attribute: "context.amr", policy: "mfa" }),
    ]);
  });

  it("context_type_mismatch: the schema declares a field with another type than the pipeline's", () => {
    const project = load({
      [schema]: (old) => old.replace("amr: Set<String>,", "amr: Set<String>,\n  time: Long,"),
      "policies/late.cedar": '@id("late")\nforbid (principal, action, resource)\nwhen { context.time > 10 };\n',
    });
    expect(without(analyze(project), "route_never_permitted")).toEqual([
      expect.objectContaining({ code: "context_type_mismatch", severity: "error", attribute: "context.time", policy: "late" }),
    ]);
  });

  it("context_may_be_absent: a required field the pipeline supplies only when known", () => {
    const project = load({
      [schema]: (old) => old.replace("amr: Set<String>,", "amr: Set<String>,\n  ip: ipaddr,"),
      "policies/net.cedar": '@id("loopback-only")\nforbid (principal, action, resource)\nunless { context.ip.isLoopback() };\n',
    });
    expect(without(analyze(project), "route_never_permitted")).toEqual([
      expect.objectContaining({ code: "context_may_be_absent", severity: "warning", attribute: "context.ip", policy: "loopback-only" }),
    ]);
  });
});

describe("analysis: routes and actions", () => {
  it("route_action_unknown: a route names an action the schema lacks", () => {
    const project = load({ "policies/routes.json": routes([{ method: "POST", path: "/docs", action: "CreateDoc", resource: { type: "Doc", id: "new" } }]) });
    expect(analyze(project)).toContainEqual(expect.objectContaining({ code: "route_action_unknown", severity: "error", route: "POST /docs" }));
  });

  it("route_resource_mismatch: a route builds a resource its action does not apply to", () => {
    const project = load({ "policies/routes.json": routes([{ method: "GET", path: "/roles/:id", action: "ReadDoc", resource: { type: "Role", id: "{id}" } }]) });
    expect(analyze(project)).toContainEqual(expect.objectContaining({ code: "route_resource_mismatch", severity: "error", route: "GET /roles/:id" }));
  });

  it("policy_action_unrouted and action_unused: actions no route maps", () => {
    const project = load({
      [schema]: (old) => old.replace("action ReadDoc, EditDoc", "action ReadDoc, EditDoc, ArchiveDoc, PurgeDoc"),
      "policies/archive.cedar": '@id("archivers")\npermit (principal, action == Action::"ArchiveDoc", resource);\n',
    });
    const findings = analyze(project);
    expect(findings).toContainEqual(expect.objectContaining({ code: "policy_action_unrouted", severity: "warning", policy: "archivers", file: "archive.cedar", line: 1 }));
    expect(findings).toContainEqual(expect.objectContaining({ code: "action_unused", severity: "warning", message: expect.stringContaining("`PurgeDoc`") }));
    expect(findings.filter((f) => f.code === "action_unused")).toHaveLength(1);
  });

  it("a permit whose scope admits the route clears route_never_permitted, whatever its conditions", () => {
    const project = load({ "policies/edit.cedar": '@id("editors")\npermit (principal, action == Action::"EditDoc", resource is Doc)\nwhen { false };\n' });
    expect(analyze(project)).toEqual([]);
  });
});

describe("analysis: loading", () => {
  it("a syntax error is a diagnostic with file, line and Cedar's message", () => {
    const p = makeProject({ ...SMALL_PROJECT, "policies/bad.cedar": "// one\npermit (principal, action, resource)\nwhen { principal. };\n" });
    cleanups.push(p.cleanup);
    const loaded = loadProject(join(p.dir, "policies"));
    expect(loaded.ok).toBe(false);
    if (!loaded.ok) expect(loaded.diagnostics).toEqual([expect.objectContaining({ file: "bad.cedar", line: 3, message: expect.stringContaining("unexpected token") })]);
  });

  it("a duplicate @id is a diagnostic naming both places", () => {
    const p = makeProject({ ...SMALL_PROJECT, "policies/dup.cedar": '@id("readers-read")\nforbid (principal, action, resource);\n' });
    cleanups.push(p.cleanup);
    const loaded = loadProject(join(p.dir, "policies"));
    expect(loaded.ok).toBe(false);
    if (!loaded.ok) expect(loaded.diagnostics).toEqual([expect.objectContaining({ file: "dup.cedar", line: 1, message: expect.stringContaining("duplicate policy id `readers-read`, first at docs.cedar:2") })]);
  });

  it("a bad route file is a diagnostic naming the field", () => {
    const p = makeProject({ ...SMALL_PROJECT, "policies/routes.json": JSON.stringify({ routes: [{ method: "get", path: "/x", public: true }] }) });
    cleanups.push(p.cleanup);
    const loaded = loadProject(join(p.dir, "policies"));
    expect(loaded.ok).toBe(false);
    if (!loaded.ok) expect(loaded.diagnostics[0]).toMatchObject({ file: "routes.json", message: expect.stringMatching(/^routes\[0\]\.method: /) });
  });
});
