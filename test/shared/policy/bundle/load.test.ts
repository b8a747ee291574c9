// The policy IR loader (issue #18): the same decisions as the generated module, and every
// malformed node refused at load with its path. The full Cedar corpus runs through it in
// `npm run conformance -- --loader bundle` (see test/tools/conformance.test.ts).
import { describe, expect, it } from "vitest";
import { loadPolicyIr, PolicyIrError, type PolicyIr } from "../../../../shared/policy/bundle/index.ts";
import type { CedarRequest, EntityJson } from "../../../../shared/policy/index.ts";
import { compilePolicies, loadPolicyModule } from "../../../../tools/compiler/index.ts";

const POLICIES = `
@id("viewers") permit (principal in Role::"viewer", action == Action::"Read", resource)
when { principal.tenant == resource.tenant && context.scopes.contains("read") };
@id("net") forbid (principal, action, resource) when { context has ip && context.ip.isInRange(ip("10.0.0.0/8")) };
@id("big") permit (principal, action == Action::"Big", resource) when { resource.n == 9007199254740993 && resource.n + 1 > 0 };
@id("typed") forbid (principal, action == Action::"Typed", resource) when { if resource.flag then resource.n else false };
@id("like") permit (principal is User, action == Action::"Like", resource) when { resource.name like "a*z" && !(resource.name like "ab*") };
@id("tags") permit (principal, action == Action::"Tag", resource) unless { !(resource.hasTag("t")) || resource.getTag("t") != "x" };
@id("rec") permit (principal, action == Action::"Rec", resource) when { {a: 1, b: [principal]}.b.contains(principal) && [1, 2].containsAll([1]) && decimal("1.5").lessThan(decimal("2.0")) };
`;

const ENTITIES: EntityJson[] = [{ uid: { type: "Role", id: "viewer" }, attrs: {}, parents: [] }];

function requests(): Array<{ request: CedarRequest; entities: EntityJson[] }> {
  const user = (tenant: string): EntityJson => ({ uid: { type: "User", id: "u" }, attrs: { tenant }, parents: [{ type: "Role", id: "viewer" }] });
  const res = (attrs: Record<string, unknown>, tags?: Record<string, unknown>): EntityJson => ({ uid: { type: "Doc", id: "d" }, attrs: attrs as never, parents: [], ...(tags ? { tags: tags as never } : {}) });
  const req = (action: string, context: Record<string, unknown> = {}): CedarRequest => ({ principal: { type: "User", id: "u" }, action: { type: "Action", id: action }, resource: { type: "Doc", id: "d" }, context: context as never });
  return [
    { request: req("Read", { scopes: ["read"] }), entities: [user("a"), res({ tenant: "a" })] },
    { request: req("Read", { scopes: ["read"] }), entities: [user("a"), res({ tenant: "b" })] },
    { request: req("Read", { scopes: ["read"], ip: { __extn: { fn: "ip", arg: "10.1.2.3" } } }), entities: [user("a"), res({ tenant: "a" })] },
    { request: req("Read", { scopes: "read" }), entities: [user("a"), res({ tenant: "a" })] },
    { request: req("Big"), entities: [user("a"), res({ n: 9007199254740993n })] },
    { request: req("Big"), entities: [user("a"), res({ n: 9223372036854775807n })] },
    { request: req("Typed"), entities: [user("a"), res({ flag: true, n: 3 })] },
    { request: req("Like"), entities: [user("a"), res({ name: "a--z" })] },
    { request: req("Like"), entities: [user("a"), res({ name: "ab-z" })] },
    { request: req("Tag"), entities: [user("a"), res({}, { t: "x" })] },
    { request: req("Tag"), entities: [user("a"), res({}, { t: "y" })] },
    { request: req("Rec"), entities: [user("a"), res({})] },
  ];
}

function irOf(text: string, entities: EntityJson[] = ENTITIES): PolicyIr {
  return JSON.parse(JSON.stringify(compilePolicies({ policies: [{ file: "p.cedar", text }], entities }).ir)) as PolicyIr;
}

describe("policy IR: same decisions as the generated module", () => {
  it("decides every request as the module does, with the same reasons and errors", async () => {
    const compiled = compilePolicies({ policies: [{ file: "p.cedar", text: POLICIES }], entities: ENTITIES });
    const mod = await loadPolicyModule(compiled.source);
    const bundle = loadPolicyIr(JSON.parse(JSON.stringify(compiled.ir)));
    expect(bundle.version).toBe(mod.version);
    expect(bundle.policies).toEqual(mod.policies);
    const outcomes = requests().map((r) => [mod.evaluate(r.request, r.entities), bundle.evaluate(r.request, r.entities)]);
    for (const [a, b] of outcomes) expect(b).toEqual(a);
    // the cases exercise allow, deny, and errors (not vacuous)
    expect(outcomes.map(([a]) => a.decision)).toContain("allow");
    expect(outcomes.some(([a]) => a.errors.length > 0)).toBe(true);
    expect(outcomes.some(([a]) => a.decision === "deny" && a.reasons.length > 0)).toBe(true);
  });

  it("keeps integers beyond 2^53 exact through JSON text (tagged)", () => {
    const ir = irOf(`permit (principal, action, resource) when { resource.n == 9007199254740993 };`, [{ uid: { type: "X", id: "x" }, attrs: { big: 9007199254740995n as never }, parents: [] }]);
    expect(JSON.stringify(ir)).toContain('"9007199254740993"');
    expect(JSON.stringify(ir.entities)).toContain('["n","9007199254740995"]');
    const set = loadPolicyIr(ir);
    const req = { principal: { type: "U", id: "u" }, action: { type: "A", id: "a" }, resource: { type: "D", id: "d" } };
    expect(set.evaluate(req, [{ uid: { type: "D", id: "d" }, attrs: { n: 9007199254740993n as never }, parents: [] }]).decision).toBe("allow");
    expect(set.evaluate(req, [{ uid: { type: "D", id: "d" }, attrs: { n: 9007199254740992n as never }, parents: [] }]).decision).toBe("deny");
  });

  it("reports a constant that fails to build (a bad decimal literal) at evaluation, as the module does", async () => {
    const compiled = compilePolicies({ policies: `@id("bad") permit (principal, action, resource) when { decimal("x").lessThan(decimal("1.0")) };` });
    const req = { principal: { type: "U", id: "u" }, action: { type: "A", id: "a" }, resource: { type: "D", id: "d" } };
    const expected = (await loadPolicyModule(compiled.source)).evaluate(req);
    expect(loadPolicyIr(compiled.ir).evaluate(req)).toEqual(expected);
    expect(expected.errors.map((e) => e.policy)).toEqual(["bad"]);
  });
});

describe("policy IR: malformed input is refused at load, with the node's path", () => {
  const base = () => irOf(`@id("p") permit (principal, action, resource) when { context.a == 1 };`, []);
  const refuses = (mutate: (ir: PolicyIr) => void, path: string, message: RegExp) => {
    const ir = base();
    mutate(ir);
    let error: unknown;
    try {
      loadPolicyIr(ir);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(PolicyIrError);
    expect((error as PolicyIrError).path).toBe(path);
    expect((error as PolicyIrError).message).toMatch(message);
  };

  it("refuses another format or format version", () => {
    refuses((ir) => ((ir as { format: string }).format = "other"), "$.format", /gatehouse-policy-ir/);
    refuses((ir) => ((ir as { formatVersion: number }).formatVersion = 2), "$.formatVersion", /expected 1/);
  });
  it("refuses an unknown operation", () => {
    refuses((ir) => (ir.policies[0].conditions = [["eval", ["lit", "x"]] as never]), "$.policies[0].conditions[0]", /unknown operation `eval`/);
  });
  it("refuses an operation with the wrong number of operands", () => {
    refuses((ir) => (ir.policies[0].conditions = [["eq", ["lit", 1]] as never]), "$.policies[0].conditions[0]", /takes 2 operand/);
  });
  it("refuses an extension call with the wrong arity", () => {
    refuses((ir) => (ir.policies[0].conditions = [["call", "isInRange", [["lit", "x"]]] as never]), "$.policies[0].conditions[0]", /takes 2 argument/);
  });
  it("refuses a constant that reads the request", () => {
    refuses((ir) => (ir.policies[0].conditions = [["const", ["var", "context"]] as never]), "$.policies[0].conditions[0]", /may not read the request/);
  });
  it("refuses a non-string attribute name, an unknown variable and a bad entity reference", () => {
    refuses((ir) => (ir.policies[0].conditions = [["has", ["var", "context"], 5] as never]), "$.policies[0].conditions[0][2]", /expected a string/);
    refuses((ir) => (ir.policies[0].conditions = [["is", ["var", "globalThis"], "T"] as never]), "$.policies[0].conditions[0][1][1]", /expected a variable/);
    refuses((ir) => (ir.policies[0].principal = { op: "==", entity: ["User"] } as never), "$.policies[0].principal.entity", /entity reference/);
  });
  it("refuses duplicate policy ids and a bad effect", () => {
    refuses((ir) => ir.policies.push({ ...ir.policies[0] }), "$.policies[1].id", /duplicate policy id `p`/);
    refuses((ir) => ((ir.policies[0] as { effect: string }).effect = "allow"), "$.policies[0].effect", /permit/);
  });
  it("refuses a non-integer in the tagged JSON form", () => {
    refuses((ir) => (ir.entities = { t: ["a", [["n", "12x"]]] }), "$.entities[0]", /integer/);
  });
});

describe("policy IR: security", () => {
  it("type-checks an operand of && that the IR left unchecked: a crafted bundle cannot skip Cedar's bool check", () => {
    const ir = irOf(`@id("p") permit (principal, action, resource) when { context.a && true };`, []);
    // drop the compiler's `bool` wrapper around `context.a`
    const cond = ir.policies[0].conditions[0] as unknown as [string, unknown, unknown];
    expect(cond[0]).toBe("and");
    cond[1] = (cond[1] as [string, unknown])[1];
    const set = loadPolicyIr(ir);
    const out = set.evaluate({ principal: { type: "U", id: "u" }, action: { type: "A", id: "a" }, resource: { type: "D", id: "d" }, context: { a: "yes" } });
    expect(out.decision).toBe("deny");
    expect(out.errors[0].message).toMatch(/type error: expected bool/);
  });

  it("keeps a `__proto__` key in tagged JSON as data, not a prototype", () => {
    const ir = irOf(`permit (principal, action, resource) when { principal.x == 1 };`, []);
    ir.entities = { t: ["a", [["o", [["uid", ["o", [["type", ["s", "U"]], ["id", ["s", "u"]]]]], ["attrs", ["o", [["__proto__", ["o", [["x", ["n", "99999999999999999999"]]]]], ["x", ["n", "1"]]]]], ["parents", ["a", []]]]]]] };
    const set = loadPolicyIr(ir);
    expect(set.evaluate({ principal: { type: "U", id: "u" }, action: { type: "A", id: "a" }, resource: { type: "D", id: "d" } }).decision).toBe("allow");
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });
});

// The generated module reads `principal.x`, `resource.x` and `context.x` straight from the JSON
// (`ops.attrAt`, `hasAt`, `containsAt`), and the loader does the same: only an own attribute of a
// plain record whose uid and parents checked out counts, as on the checked path.
describe("direct attribute reads: the checked path's answers", () => {
  const text = `
@id("t") permit (principal, action == Action::"T", resource) when { principal.tenant == "a" };
@id("h") permit (principal, action == Action::"H", resource) when { context has flag };
@id("c") permit (principal, action == Action::"C", resource) when { context.scopes.contains("x") };
@id("s") permit (principal, action == Action::"S", resource) when { resource.toString == "y" };
@id("n") permit (principal, action == Action::"N", resource) when { resource.n == 1 };
`;
  const req = (action: string, context: Record<string, unknown> = {}): CedarRequest => ({ principal: { type: "User", id: "u" }, action: { type: "Action", id: action }, resource: { type: "Doc", id: "d" }, context: context as never });
  const user = (attrs: unknown, parents: unknown = []): EntityJson => ({ uid: { type: "User", id: "u" }, attrs: attrs as never, parents: parents as never });
  const doc = (attrs: unknown): EntityJson => ({ uid: { type: "Doc", id: "d" }, attrs: attrs as never, parents: [] });
  const deciders = async () => {
    const compiled = compilePolicies({ policies: [{ file: "p.cedar", text }] });
    return [await loadPolicyModule(compiled.source), loadPolicyIr(JSON.parse(JSON.stringify(compiled.ir)))];
  };
  const decide = (set: Awaited<ReturnType<typeof deciders>>[number], r: CedarRequest, entities: EntityJson[]) => {
    const out = set.evaluate(r, entities);
    return [out.decision, out.errors.map((e) => e.policy)];
  };

  it("reads own attributes of plain and null-prototype records", async () => {
    for (const set of await deciders()) {
      expect(decide(set, req("T"), [user({ tenant: "a" })])).toEqual(["allow", []]);
      expect(decide(set, req("T"), [user(Object.assign(Object.create(null), { tenant: "a" }))])).toEqual(["allow", []]);
      expect(decide(set, req("H", { flag: false }), [])).toEqual(["allow", []]);
      expect(decide(set, req("C", { scopes: ["y", "x"] }), [])).toEqual(["allow", []]);
      // not all strings: decoded into a set, which holds "x" all the same
      expect(decide(set, req("C", { scopes: [1, "x"] }), [])).toEqual(["allow", []]);
      expect(decide(set, req("S"), [user({}), doc({ toString: "y" })])).toEqual(["allow", []]);
    }
  });

  it("takes no inherited attribute: a record's prototype, or a polluted Object.prototype", async () => {
    const proto = Object.prototype as Record<string, unknown>;
    for (const set of await deciders()) {
      expect(decide(set, req("T"), [user(Object.create({ tenant: "a" }))])).toEqual(["deny", ["t"]]);
      expect(decide(set, req("T"), [user(new (class { get tenant() { return "a"; } })())])).toEqual(["deny", ["t"]]);
      expect(decide(set, req("S"), [user({}), doc({})])).toEqual(["deny", ["s"]]);
      try {
        proto.tenant = "a";
        proto.flag = true;
        expect(decide(set, req("T"), [user({})])).toEqual(["deny", ["t"]]);
        expect(decide(set, req("H"), [])).toEqual(["deny", []]);
      } finally {
        delete proto.tenant;
        delete proto.flag;
      }
    }
  });

  it("errors as the checked path does: malformed parents, an inexact integer, a missing entity", async () => {
    for (const set of await deciders()) {
      expect(decide(set, req("T"), [user({ tenant: "a" }, [{ type: 1, id: "x" }])])).toEqual(["deny", ["t"]]);
      expect(decide(set, req("N"), [user({}), doc({ n: 2 ** 53 })])).toEqual(["deny", ["n"]]);
      expect(decide(set, req("N"), [user({}), doc({ n: 1 })])).toEqual(["allow", []]);
      expect(decide(set, req("T"), [])).toEqual(["deny", ["t"]]);
    }
  });
});
