import { describe, expect, it } from "vitest";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { compilePolicies, compilePolicyProject, loadPolicyModule, PolicyCompileError } from "../../../tools/compiler/index.ts";
import type { CedarRequest, CompiledPolicySet } from "../../../shared/policy/index.ts";

async function build(text: string, opts: Parameters<typeof compilePolicies>[0] extends infer O ? Partial<O> : never = {}): Promise<CompiledPolicySet> {
  return loadPolicyModule(compilePolicies({ policies: [{ file: "test.cedar", text }], ...opts }).source);
}

const req = (over: Partial<CedarRequest> = {}): CedarRequest => ({
  principal: { type: "User", id: "alice" },
  action: { type: "Action", id: "read" },
  resource: { type: "Doc", id: "d1" },
  context: {},
  ...over,
});

function compileError(fn: () => unknown): PolicyCompileError {
  try {
    fn();
  } catch (e) {
    if (e instanceof PolicyCompileError) return e;
    throw e;
  }
  throw new Error("expected a PolicyCompileError");
}

describe("build errors", () => {
  it("reports a parse error with file, line and Cedar's message", () => {
    const text = `permit(principal, action, resource);\n\npermit(principal, action, resource)\nwhen { 1 + };\n`;
    const e = compileError(() => compilePolicies({ policies: [{ file: "orders.cedar", text }] }));
    expect(e.diagnostics[0]).toMatchObject({ severity: "error", file: "orders.cedar", line: 4 });
    expect(e.diagnostics[0].message).toContain("unexpected token");
    expect(e.message).toMatch(/orders\.cedar:4:\d+: error: /);
  });

  it("reports a strict validation error at the policy's line", () => {
    const schema = `entity User { tenant: String }; entity Doc; action read appliesTo { principal: User, resource: Doc };`;
    const text = `// header\n\n@id("bad")\npermit(principal, action == Action::"read", resource)\nwhen { principal.nope == 1 };\n`;
    const e = compileError(() => compilePolicies({ policies: [{ file: "a.cedar", text }], schema, schemaFile: "schema.cedarschema" }));
    const d = e.diagnostics.find((x) => x.severity === "error")!;
    expect(d).toMatchObject({ file: "a.cedar", policy: "policy0" });
    expect(d.line).toBe(5);
    expect(d.message).toContain("nope");
  });

  it("reports a schema that does not parse", () => {
    const e = compileError(() => compilePolicies({ policies: "permit(principal, action, resource);", schema: "entity User {", schemaFile: "schema.cedarschema" }));
    expect(e.diagnostics[0].file).toBe("schema.cedarschema");
  });

  it("rejects two policies with the same @id", () => {
    const text = `@id("x") permit(principal, action, resource);\n@id("x") forbid(principal, action, resource);`;
    const e = compileError(() => compilePolicies({ policies: [{ file: "a.cedar", text }] }));
    expect(e.diagnostics[0].message).toContain("duplicate policy id `x`");
    expect(e.diagnostics[0].line).toBe(2);
  });

  it("locates an EST the generator cannot compile at its policy", () => {
    const est = { effect: "permit", principal: { op: "All" }, action: { op: "All" }, resource: { op: "All" }, conditions: [{ kind: "when", body: { nope: [] } }] };
    const e = compileError(() => compilePolicies({ policies: { policy0: est } }));
    expect(e.diagnostics[0]).toMatchObject({ severity: "error", policy: "policy0", message: "unknown extension function `nope`" });
    const malformed = compileError(() => compilePolicies({ policies: { policy0: { ...est, conditions: [{ kind: "when", body: { "!": null } }] } } }));
    expect(malformed.diagnostics[0]).toMatchObject({ severity: "error", policy: "policy0", message: expect.stringContaining("malformed policy") });
  });

  it("rejects templates", () => {
    const e = compileError(() => compilePolicies({ policies: [{ file: "t.cedar", text: "permit(principal, action, resource);\npermit(principal == ?principal, action, resource);" }] }));
    expect(e.diagnostics[0]).toMatchObject({ file: "t.cedar", line: 2, message: expect.stringContaining("templates") });
  });
});

describe("policy ids", () => {
  const text = `@id("read-docs") permit(principal, action, resource);\npermit(principal, action, resource);`;
  it("uses @id annotations by default, Cedar's ids otherwise", async () => {
    const set = await build(text);
    expect(set.evaluate(req()).reasons.sort()).toEqual(["policy1", "read-docs"]);
    expect(set.policies.map((p) => [p.id, p.cedarId, p.line])).toEqual([["read-docs", "policy0", 1], ["policy1", "policy1", 2]]);
  });
  it("uses Cedar's generated ids with idMode cedar", async () => {
    const set = await build(text, { idMode: "cedar" });
    expect(set.evaluate(req()).reasons.sort()).toEqual(["policy0", "policy1"]);
  });
  it("numbers policies across files in order", () => {
    const r = compilePolicies({ policies: [{ file: "a.cedar", text: "permit(principal, action, resource);" }, { file: "b.cedar", text: "\n\nforbid(principal, action, resource);" }] });
    expect(r.policies).toEqual([
      { id: "policy0", cedarId: "policy0", effect: "permit", annotations: {}, file: "a.cedar", line: 1 },
      { id: "policy1", cedarId: "policy1", effect: "forbid", annotations: {}, file: "b.cedar", line: 3 },
    ]);
  });
  // Found by the differential fuzz: cedar-wasm's policySetTextToParts orders parts by id as a
  // string (policy0, policy1, policy10, policy2, ...), not by position in the source.
  it("numbers more than ten policies in one file in source order", async () => {
    const text = Array.from({ length: 12 }, (_, i) => `permit (principal, action, resource) when { context.n == ${i} };`).join("\n");
    const r = compilePolicies({ policies: [{ file: "many.cedar", text }], idMode: "cedar" });
    expect(r.policies.map((p) => [p.cedarId, p.line])).toEqual(Array.from({ length: 12 }, (_, i) => [`policy${i}`, i + 1]));
    const set = await loadPolicyModule(r.source);
    expect(set.evaluate(req({ context: { n: 10 } })).reasons).toEqual(["policy10"]);
    expect(set.evaluate(req({ context: { n: 2 } })).reasons).toEqual(["policy2"]);
  });
  it("places each policy at its own line, not inside a comment or another policy", () => {
    const text = `// permit (principal, action, resource);\n@id("a") permit (principal, action, resource);\npermit (principal, action, resource);\n`;
    const r = compilePolicies({ policies: [{ file: "a.cedar", text }] });
    expect(r.policies.map((p) => [p.id, p.line])).toEqual([["a", 2], ["policy1", 3]]);
  });
  it("keeps annotations, a bare one as the empty string", async () => {
    const set = await build(`@id("p") @advice("use mfa") @audit permit(principal, action, resource);`);
    expect(set.policies[0].annotations).toEqual({ id: "p", advice: "use mfa", audit: "" });
  });
});

describe("onForbidError", () => {
  const text = `@id("allow-all") permit(principal, action, resource);\n@id("suspended") forbid(principal, action, resource) when { principal.suspended };`;
  it("skips an erroring forbid by default, as Cedar does", async () => {
    const set = await build(text);
    const r = set.evaluate(req());
    expect(r.decision).toBe("allow");
    expect(r.errors).toEqual([{ policy: "suspended", message: expect.stringContaining("does not exist") }]);
  });
  it("denies on an erroring forbid with onForbidError deny", async () => {
    const set = await build(text, { onForbidError: "deny" });
    const r = set.evaluate(req());
    expect(r).toMatchObject({ decision: "deny", reasons: [], errors: [{ policy: "suspended" }] });
    expect(set.onForbidError).toBe("deny");
  });
  it("still allows when the forbid evaluates cleanly in deny mode", async () => {
    const set = await build(text, { onForbidError: "deny" });
    const r = set.evaluate(req(), [{ uid: { type: "User", id: "alice" }, attrs: { suspended: false }, parents: [] }]);
    expect(r).toEqual({ decision: "allow", reasons: ["allow-all"], errors: [] });
  });
});

describe("indexing", () => {
  // 500 actions × 2 tenants of policies that would all error if evaluated
  const many: string[] = [];
  for (let i = 0; i < 500; i++) {
    for (const t of ["t1", "t2"]) {
      many.push(`@id("a${i}-${t}") permit(principal in Tenant::"${t}", action == Action::"a${i}", resource) when { principal.missing };`);
    }
  }
  many.push(`@id("read-t1") permit(principal in Tenant::"t1", action == Action::"read", resource in Tenant::"t1");`);
  many.push(`@id("read-t2") permit(principal in Tenant::"t2", action == Action::"read", resource in Tenant::"t2");`);
  many.push(`@id("any-action") forbid(principal, action, resource) when { context has blocked };`);
  many.push(`@id("group") permit(principal, action in Action::"writes", resource is Doc);`);
  const entities = [
    { uid: { type: "Action", id: "write" }, attrs: {}, parents: [{ type: "Action", id: "writes" }] },
    { uid: { type: "Tenant", id: "t1" }, attrs: {}, parents: [] },
  ];
  const alice = [{ uid: { type: "User", id: "alice" }, attrs: {}, parents: [{ type: "Tenant", id: "t1" }] }];
  const doc = { uid: { type: "Doc", id: "d1" }, attrs: {}, parents: [{ type: "Tenant", id: "t1" }] };

  it("looks only at policies for the request's action, principal and resource", async () => {
    const set = await loadPolicyModule(compilePolicies({ policies: many.join("\n"), entities }).source);
    const r = req();
    expect(set.candidates(r, [...alice, doc]).sort()).toEqual(["any-action", "read-t1"]);
    expect(set.evaluate(r, [...alice, doc])).toEqual({ decision: "allow", reasons: ["read-t1"], errors: [] });
    expect(set.candidates(req({ action: { type: "Action", id: "a7" } }), alice).sort()).toEqual(["a7-t1", "any-action"]);
  });

  it("decides `principal in` scopes through static hierarchies of several types, and through request entities among them", async () => {
    const text = `@id("all") permit (principal in Group::"all", action, resource);\n@id("ops") permit (principal is User in Team::"ops", action, resource);`;
    const statics = [
      { uid: { type: "Team", id: "ops" }, attrs: {}, parents: [{ type: "Group", id: "all" }] },
      { uid: { type: "Team", id: "dev" }, attrs: {}, parents: [] },
      { uid: { type: "Group", id: "all" }, attrs: {}, parents: [] },
    ];
    const set = await loadPolicyModule(compilePolicies({ policies: text, entities: statics }).source);
    const user = (...parents: { type: string; id: string }[]) => [{ uid: { type: "User", id: "alice" }, attrs: {}, parents }];
    expect(set.evaluate(req(), user({ type: "Team", id: "ops" })).reasons.sort()).toEqual(["all", "ops"]);
    expect(set.evaluate(req(), user({ type: "Team", id: "dev" })).decision).toBe("deny");
    expect(set.evaluate(req(), user({ type: "Group", id: "all" })).reasons).toEqual(["all"]);
    // a request entity that replaces a static one changes the hierarchy: dev is now under all
    const dev = { uid: { type: "Team", id: "dev" }, attrs: {}, parents: [{ type: "Group", id: "all" }] };
    expect(set.evaluate(req(), [...user({ type: "Team", id: "dev" }), dev]).reasons).toEqual(["all"]);
    // and one that takes ops out of it
    const ops = { uid: { type: "Team", id: "ops" }, attrs: {}, parents: [] };
    expect(set.evaluate(req(), [...user({ type: "Team", id: "ops" }), ops]).reasons).toEqual(["ops"]);
  });

  it("resolves `action in` through the static action hierarchy", async () => {
    const set = await loadPolicyModule(compilePolicies({ policies: many.join("\n"), entities }).source);
    const r = req({ action: { type: "Action", id: "write" } });
    expect(set.candidates(r).sort()).toEqual(["any-action", "group"]);
    expect(set.evaluate(r).decision).toBe("allow");
  });
});

describe("literals", () => {
  it("keeps 64-bit integer literals exact", async () => {
    const set = await build(`permit(principal, action, resource) when { 9223372036854775806 + 1 == 9223372036854775807 && context.n - 1 == 9007199254740992 };`);
    expect(set.evaluate(req({ context: { n: 9007199254740993n } })).decision).toBe("allow");
    expect(set.evaluate(req({ context: { n: 9007199254740992 } })).decision).toBe("deny");
  });
  it("reports integer overflow as a policy error", async () => {
    const set = await build(`@id("o") permit(principal, action, resource) when { 9223372036854775807 + 1 > 0 };`);
    expect(set.evaluate(req()).errors).toEqual([{ policy: "o", message: "integer overflow while attempting to add" }]);
  });
  it("embeds string literals as data, never as code", async () => {
    const set = await build(`permit(principal, action, resource) when { context.s == "\\"); throw 1; //\\u{2028}x" };`);
    expect(set.evaluate(req({ context: { s: '"); throw 1; //\u2028x' } })).decision).toBe("allow");
  });
  it("defers an invalid extension literal's error to evaluation", async () => {
    const set = await build(`@id("d") permit(principal, action, resource) when { context.ok || decimal("1.23456") == decimal("1.0") };`);
    expect(set.evaluate(req({ context: { ok: true } })).decision).toBe("allow");
    expect(set.evaluate(req({ context: { ok: false } })).errors[0].policy).toBe("d");
  });
});

describe("the example project", () => {
  const dir = join(import.meta.dirname, "../../../policies");
  it.skipIf(!existsSync(join(dir, "schema.cedarschema")))("compiles policies/ with its schema and entities", async () => {
    const r = compilePolicyProject({ policiesDir: dir });
    expect(r.version).toMatch(/^[0-9a-f]{64}$/);
    expect(r.source).toContain(`from "../shared/policy/index.ts"`);
    expect(r.policies.length).toBeGreaterThan(0);
    const set = await loadPolicyModule(r.source);
    expect(set.version).toBe(r.version);
  });
});

describe("request entities and context (the pipeline's path)", () => {
  const text = `
@id("editors-write") permit (principal in Role::"viewer", action == Action::"write", resource)
when { principal.tenant == resource.tenant && context.ip.isInRange(ip("203.0.113.0/24")) && context.time < datetime("2027-01-01T00:00:00Z") };`;
  const roles = [
    { uid: { type: "Role", id: "viewer" }, attrs: {}, parents: [] },
    { uid: { type: "Role", id: "editor" }, attrs: {}, parents: [{ type: "Role", id: "viewer" }] },
  ];
  const request = (ipArg: string): CedarRequest => ({
    principal: { type: "User", id: "alice" },
    action: { type: "Action", id: "write" },
    resource: { type: "Order", id: "o1" },
    context: { ip: { __extn: { fn: "ip", arg: ipArg } }, time: { __extn: { fn: "datetime", arg: "2026-11-22T10:00:00Z" } } },
  });
  const entities = [
    { uid: { type: "User", id: "alice" }, attrs: { tenant: "acme" }, parents: [{ type: "Role", id: "editor" }] },
    { uid: { type: "Order", id: "o1" }, attrs: { tenant: "acme" }, parents: [] },
  ];
  it("resolves a request principal's roles through the static hierarchy", async () => {
    const set = await loadPolicyModule(compilePolicies({ policies: text, entities: roles }).source);
    expect(set.evaluate(request("203.0.113.7"), entities)).toEqual({ decision: "allow", reasons: ["editors-write"], errors: [] });
    expect(set.evaluate(request("198.51.100.1"), entities).decision).toBe("deny");
  });
  it("denies a malformed request as a value, never throws", async () => {
    const set = await loadPolicyModule(compilePolicies({ policies: text, entities: roles }).source);
    const r = set.evaluate({ principal: { type: "User" }, action: { type: "Action", id: "write" }, resource: { type: "Order", id: "o1" } } as unknown as CedarRequest);
    expect(r.decision).toBe("deny");
    expect(r.errors[0].message).toContain("invalid request");
  });

  // The runtime reuses its request view, entity view and context record from one decision to the
  // next (issue #22): nothing one decision read may leak into the next
  it("decides each request on its own entities and context when the same set decides many", async () => {
    const set = await loadPolicyModule(compilePolicies({ policies: text, entities: roles }).source);
    const other = [
      { uid: { type: "User", id: "alice" }, attrs: { tenant: "globex" }, parents: [{ type: "Role", id: "editor" }] },
      { uid: { type: "Order", id: "o1" }, attrs: { tenant: "acme" }, parents: [] },
    ];
    const noRole = [{ uid: { type: "User", id: "alice" }, attrs: { tenant: "acme" }, parents: [] }, entities[1]];
    for (let i = 0; i < 3; i++) {
      expect(set.evaluate(request("203.0.113.7"), entities).decision).toBe("allow");
      expect(set.evaluate(request("198.51.100.1"), entities).decision).toBe("deny");
      expect(set.evaluate(request("203.0.113.7"), other).decision).toBe("deny");
      expect(set.evaluate(request("203.0.113.7"), noRole).decision).toBe("deny");
      expect(set.evaluate({ ...request("203.0.113.7"), context: {} }, entities).errors.map((e) => e.policy)).toEqual(["editors-write"]);
    }
  });

  it("shares one frozen result for a lone deciding policy, and builds a fresh one otherwise", async () => {
    const set = await loadPolicyModule(compilePolicies({ policies: text, entities: roles }).source);
    const a = set.evaluate(request("203.0.113.7"), entities);
    expect(set.evaluate(request("203.0.113.7"), entities)).toBe(a);
    expect(Object.isFrozen(a) && Object.isFrozen(a.reasons) && Object.isFrozen(a.errors)).toBe(true);
    const failed = set.evaluate({ ...request("203.0.113.7"), context: {} }, entities);
    expect(failed).toEqual({ decision: "deny", reasons: [], errors: [{ policy: "editors-write", message: expect.any(String) }] });
    expect(Object.isFrozen(failed)).toBe(false);
  });

  it("finds `in` through request entities that are each other's parents, or stand in for a static ancestor", async () => {
    const set = await loadPolicyModule(compilePolicies({ policies: `@id("in-viewer") permit (principal in Role::"viewer", action, resource);`, entities: roles }).source);
    const ask = (ents: unknown[]) => set.evaluate({ principal: { type: "User", id: "alice" }, action: { type: "Action", id: "x" }, resource: { type: "Order", id: "o1" } }, ents as never).decision;
    // the user's group is itself a request entity, whose parent is a static role
    expect(ask([{ uid: { type: "User", id: "alice" }, parents: [{ type: "Group", id: "g" }] }, { uid: { type: "Group", id: "g" }, parents: [{ type: "Role", id: "editor" }] }])).toBe("allow");
    expect(ask([{ uid: { type: "User", id: "alice" }, parents: [{ type: "Group", id: "g" }] }, { uid: { type: "Group", id: "g" }, parents: [] }])).toBe("deny");
    // a request entity replaces the static `Role::"editor"`, cutting it off from viewer
    expect(ask([{ uid: { type: "User", id: "alice" }, parents: [{ type: "Role", id: "editor" }] }, { uid: { type: "Role", id: "editor" }, parents: [] }])).toBe("deny");
    // parents given with the `__entity` escape
    expect(ask([{ uid: { type: "User", id: "alice" }, parents: [{ __entity: { type: "Role", id: "editor" } }] }])).toBe("allow");
  });

  it("answers `context.scopes.contains(\"s\")` as the decoded set would", async () => {
    const set = await loadPolicyModule(compilePolicies({ policies: `@id("s") permit (principal, action, resource) when { context.scopes.contains("a") };` }).source);
    const ask = (scopes: unknown) => set.evaluate({ ...req(), context: { scopes } as never });
    expect(ask(["b", "a"]).decision).toBe("allow");
    expect(ask(["b"]).decision).toBe("deny");
    expect(ask(["a", 1]).decision).toBe("allow");
    expect(ask([{ __entity: { type: "A", id: "a" } }, "a"]).decision).toBe("allow");
    expect(ask(["a", null]).errors.map((e) => e.policy)).toEqual(["s"]);
    expect(ask("a").errors[0].message).toMatch(/type error/);
    expect(set.evaluate({ ...req(), context: {} }).errors[0].message).toMatch(/does not have the attribute `scopes`/);
  });
});

describe("schema", () => {
  it("adds the schema's action groups to the static entities", async () => {
    const schema = `entity User; entity Doc; action readAll; action read in [readAll] appliesTo { principal: User, resource: Doc };`;
    const text = `@id("readers") permit (principal, action in Action::"readAll", resource);`;
    const set = await loadPolicyModule(compilePolicies({ policies: text, schema }).source);
    expect(set.evaluate(req({ action: { type: "Action", id: "read" } })).decision).toBe("allow");
  });
});

describe("generated module", () => {
  it("reads like the policy: ids, file:line and the policy text beside each compiled policy", () => {
    const { source } = compilePolicies({ policies: [{ file: "orders.cedar", text: `\n@id("read") permit (principal, action, resource) when { context.ok };` }] });
    expect(source).toContain(`// policy0 · @id("read") · orders.cedar:2`);
    expect(source).toContain(`//   @id("read") permit (principal, action, resource) when { context.ok };`);
    expect(source).toMatch(/condition: \(r\) =>\n\s+\$bool\(\$attrAt\(r, r\.context, "ok", r\.cx\.ok, "ok" in \$OP\)\)/);
  });
  it("uses no eval or Function constructor, here or in the runtime", async () => {
    const { readdirSync, readFileSync } = await import("node:fs");
    const dir = join(import.meta.dirname, "../../../shared/policy");
    // Recursive, so the bundle loader (shared/policy/bundle/) is held to the same rule
    const runtime = readdirSync(dir, { recursive: true, withFileTypes: true }).filter((f) => f.isFile()).map((f) => readFileSync(join(f.parentPath, f.name), "utf8")).join("\n");
    const { source } = compilePolicies({ policies: `permit (principal, action, resource) when { context.a like "*x*" && ip("10.0.0.1").isLoopback() };` });
    for (const code of [runtime, source]) expect(code).not.toMatch(/\beval\s*\(|\bnew\s+Function\b|[^\w.]Function\s*\(/);
  });
  it("embeds static entities with 64-bit integers exactly", async () => {
    const entities = [{ uid: { type: "User", id: "alice" }, attrs: { big: 9223372036854775807n }, parents: [] }];
    const set = await loadPolicyModule(compilePolicies({ policies: `permit (principal, action, resource) when { principal.big == 9223372036854775807 };`, entities }).source);
    expect(set.evaluate(req()).decision).toBe("allow");
  });
});
