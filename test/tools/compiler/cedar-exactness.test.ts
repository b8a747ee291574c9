import * as cedar from "@cedar-policy/cedar-wasm/nodejs";
import { describe, expect, it } from "vitest";
import type { CedarRequest, EntityJson, PolicyResult } from "../../../shared/policy/index.ts";
import { compilePolicies, loadPolicyModule, PolicyCompileError } from "../../../tools/compiler/index.ts";

// Regressions of issue #23: five places where the compiled
// module differed from cedar-wasm 4.10. Each case is decided by both and must match Cedar's
// decision, determining policies and errored policies, and the answer Cedar gives today.

const request = (context: Record<string, unknown> = {}): CedarRequest => ({
  principal: { type: "U", id: "a" },
  action: { type: "A", id: "a" },
  resource: { type: "R", id: "a" },
  context: context as CedarRequest["context"],
});

type Outcome = { decision: string; reasons: string[]; errors: string[] };

async function both(text: string, context: Record<string, unknown> = {}, entities: EntityJson[] = []): Promise<{ cedar: Outcome; compiled: Outcome }> {
  const r = request(context);
  const want = cedar.isAuthorized({ ...(r as cedar.AuthorizationCall), policies: { staticPolicies: text }, entities: entities as cedar.Entities });
  if (want.type === "failure") throw new Error(`cedar-wasm failed: ${want.errors.map((e) => e.message).join("; ")}`);
  const set = await loadPolicyModule(compilePolicies({ policies: [{ file: "t.cedar", text }], idMode: "cedar" }).source);
  const got: PolicyResult = set.evaluate(r, entities);
  return {
    cedar: { decision: want.response.decision, reasons: [...want.response.diagnostics.reason].sort(), errors: want.response.diagnostics.errors.map((e) => e.policyId).sort() },
    compiled: { decision: got.decision, reasons: [...got.reasons].sort(), errors: got.errors.map((e) => e.policy).sort() },
  };
}

async function expectCedar(text: string, expected: Outcome, context?: Record<string, unknown>, entities?: EntityJson[]): Promise<void> {
  const r = await both(text, context, entities);
  expect(r.cedar).toEqual(expected);
  expect(r.compiled).toEqual(r.cedar);
}

const when = (cond: string): string => `permit(principal, action, resource) when { ${cond} };`;
const ALLOW = { decision: "allow", reasons: ["policy0"], errors: [] };
const DENY = { decision: "deny", reasons: [], errors: [] };
const ERROR = { decision: "deny", reasons: [], errors: ["policy0"] };

describe("A: large integers in record literals (cedar-wasm returns record keys sorted) #23", () => {
  it("keeps each literal on its own key", async () => {
    await expectCedar(when(`{b: 9007199254740993, a: 9007199254740992}.a == 9007199254740992`), ALLOW);
    await expectCedar(when(`{b: 9007199254740993, a: 9007199254740992}.b == 9007199254740993`), ALLOW);
  });
  it("keeps the minus sign of a folded negative literal", async () => {
    await expectCedar(when(`{b: -9223372036854775808, a: 9223372036854775807}.b == -9223372036854775808`), ALLOW);
    await expectCedar(when(`{z: [9007199254740993, -9007199254740993], a: {y: 9007199254740995, x: -9007199254740997}}.a.x == -9007199254740997`), ALLOW);
  });
});

describe("B: a comment between unary minus and a large literal #23", () => {
  it("is read as Cedar reads it", async () => {
    await expectCedar(`permit(principal, action, resource) when { -// note\n9223372036854775808 < 0 };`, ALLOW);
    await expectCedar(`permit(principal, action, resource) when { - // a\r  // b\n 9223372036854775807 == -9223372036854775807 };`, ALLOW);
  });
  it("reports a literal Cedar refuses as a compile error with file and line", () => {
    const text = `permit(principal, action, resource);\n\npermit(principal, action, resource) when { 9223372036854775808 > 0 };`;
    let error: unknown;
    try {
      compilePolicies({ policies: [{ file: "big.cedar", text }] });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(PolicyCompileError);
    expect((error as PolicyCompileError).diagnostics[0]).toMatchObject({ severity: "error", file: "big.cedar", line: 3 });
  });
});

describe("C: `has a.b` on an expression holding a large literal (Cedar repeats the expression) #23", () => {
  it("decides without refusing the policy", async () => {
    await expectCedar(when(`{n: 9007199254740993} has rec.s`), DENY);
    await expectCedar(when(`{n: 9007199254740993, rec: {s: -9007199254740993}} has rec.s`), ALLOW);
    await expectCedar(when(`{rec: {s: {t: 9223372036854775807}}} has rec.s.t`), ALLOW);
  });
});

describe("D: line separators in strings that reach the generated module #23", () => {
  it("loads a module whose @id holds U+2028 or U+2029", async () => {
    for (const id of ["a\u2028b", "a\u2029b\r\nc"]) {
      const text = `@id(${JSON.stringify(id)}) @note("\u2028") permit(principal, action, resource) when { "\u2029" == "\u2029" };`;
      await expectCedar(text, ALLOW);
      const set = await loadPolicyModule(compilePolicies({ policies: [{ file: "t.cedar", text }] }).source);
      expect(set.evaluate(request()).reasons).toEqual([id]);
    }
  });
  it("keeps a policy text with line separators in comments only", async () => {
    const { source } = compilePolicies({ policies: [{ file: "x\u2028y.cedar", text: `permit(principal, action, resource)\u2028when { true };` }] });
    expect(source).toContain(`file: "x\\u2028y.cedar"`);
    const set = await loadPolicyModule(source);
    expect(set.evaluate(request()).decision).toBe("allow");
  });
});

describe("E: JSON objects mixing an escape key with other keys are records #23", () => {
  const mixedEntity = { v: { __entity: { type: "User", id: "a" }, x: 1 } };
  const mixedExtn = { v: { __extn: { fn: "decimal", arg: "1.5" }, y: 1 } };
  it("in the context", async () => {
    await expectCedar(when(`context.v == User::"a"`), DENY, mixedEntity);
    await expectCedar(when(`context.v is User`), ERROR, mixedEntity);
    await expectCedar(when(`context.v has x && context.v.__entity.id == "a"`), ALLOW, mixedEntity);
    await expectCedar(when(`context.v has y`), ALLOW, mixedExtn);
  });
  it("in entity attributes and tags", async () => {
    const entities = [{ uid: { type: "U", id: "a" }, attrs: mixedEntity, parents: [], tags: mixedExtn }];
    await expectCedar(when(`principal.v == User::"a"`), DENY, {}, entities);
    await expectCedar(when(`principal.v is User`), ERROR, {}, entities);
    await expectCedar(when(`principal.getTag("v") has y`), ALLOW, {}, entities);
  });
  it("treats near misses as Cedar does", async () => {
    // inner extra keys are allowed; a non-string id or a lone `fn` is a record; `arg` beats `args`
    await expectCedar(when(`context.v == User::"a"`), ALLOW, { v: { __entity: { type: "User", id: "a", extra: 1 } } });
    await expectCedar(when(`context.v has __entity`), ALLOW, { v: { __entity: { type: "User", id: 5 } } });
    await expectCedar(when(`context.v has __extn`), ALLOW, { v: { __extn: { fn: "decimal" } } });
    await expectCedar(when(`context.v == decimal("1.0")`), ALLOW, { v: { __extn: { fn: "decimal", arg: "1.0", args: ["2.0"] } } });
    await expectCedar(when(`context.v == decimal("2.0")`), ALLOW, { v: { __extn: { fn: "decimal", args: ["2.0"] } } });
    await expectCedar(when(`context.v has __expr`), ALLOW, { v: { __expr: "1", x: 1 } });
  });
});

describe("found by the text fuzz: a `//` comment ended by a carriage return #23", () => {
  it("numbers and locates the policies after it as Cedar does", async () => {
    const text = `//\rpermit(principal, action, resource) when { context.a };\npermit(principal, action, resource) when { context.b };`;
    await expectCedar(text, { decision: "allow", reasons: ["policy0"], errors: ["policy1"] }, { a: true });
    const r = compilePolicies({ policies: [{ file: "cr.cedar", text }], idMode: "cedar" });
    expect(r.policies.map((p) => [p.cedarId, p.line])).toEqual([["policy0", 1], ["policy1", 2]]);
    expect(r.diagnostics).toEqual([]);
  });
});
