import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compilePolicies, loadPolicyModule } from "../../../tools/compiler/index.ts";
import { decideWithClaims, loadSuites, prepareProject, runCases, type DecideSetup, type PolicyCase } from "../../../tools/policy-test/index.ts";
import { repoRoot } from "../../harness/index.ts";
import { decideWithCedarWasm, loadPolicyProject } from "../../policies/reference.ts";
import { makeProject } from "../cli/cli.ts";

const NOW = Date.parse("2026-03-01T10:00:00Z");
const policiesDir = join(repoRoot, "policies");
let setup: DecideSetup;
beforeAll(async () => {
  setup = (await prepareProject({ policiesDir })).setup;
}, 60_000);

const VERA = { iss: "https://dev.gatehouse.local", sub: "vera", tenant: "acme", groups: ["viewer"], scope: "orders:read" };

describe("decideWithClaims: the example cases agree with cedar-wasm", () => {
  const reference = loadPolicyProject(policiesDir);
  const suites = loadSuites(join(policiesDir, "tests"), policiesDir);
  it("reads every example case without a problem", () => {
    expect(suites.problems).toEqual([]);
    expect(suites.cases).toHaveLength(reference.cases.length);
  });
  for (const testCase of suites.cases) {
    it(`${testCase.expect}: ${testCase.name}`, () => {
      const expected = decideWithCedarWasm(reference, reference.cases[testCase.index]);
      const actual = decideWithClaims(setup, { ...testCase, now: NOW });
      expect(actual.decision).toBe(expected.decision);
      expect([...(actual.result?.reasons ?? [])].sort()).toEqual(expected.reasons);
      expect(actual.result?.errors ?? []).toEqual([]);
    });
  }
});

describe("decideWithClaims: the pipeline's reasons", () => {
  const decide = (method: string, path: string, extra: object = {}) => decideWithClaims(setup, { method, path, now: NOW, claims: VERA, ...extra });
  it("public_route needs no claims", () => {
    expect(decideWithClaims(setup, { method: "GET", path: "/health", now: NOW })).toEqual({ decision: "allow", reason: "public_route", route: "GET /health" });
  });
  it("missing_token when a protected route gets no claims", () => {
    expect(decideWithClaims(setup, { method: "GET", path: "/tenants/acme/orders", now: NOW })).toMatchObject({ decision: "deny", reason: "missing_token" });
  });
  it("no_route for an unmapped path", () => {
    expect(decide("GET", "/nowhere")).toEqual({ decision: "deny", reason: "no_route" });
  });
  it("claim_type names the claim", () => {
    expect(decide("GET", "/tenants/acme/orders", { claims: { ...VERA, groups: "viewer" } })).toMatchObject({ decision: "deny", reason: "claim_type", claim: "groups" });
  });
  it("a path refusal from normalisation", () => {
    expect(decide("GET", "/tenants/acme/orders/..%2F..")).toMatchObject({ decision: "deny", reason: "encoded_separator" });
  });
  it("the context holds the pipeline's fields at the given time, with overrides merged last", () => {
    const outcome = decide("GET", "/tenants/acme/orders", { context: { amr: ["mfa"] }, ip: "10.1.2.3" });
    expect(outcome.request?.context).toEqual({
      scopes: ["orders:read"],
      amr: ["mfa"],
      time: { __extn: { fn: "datetime", arg: "2026-03-01T10:00:00.000Z" } },
      ip: { __extn: { fn: "ip", arg: "10.1.2.3" } },
    });
  });
  it("a principal entity stands in for claims", () => {
    const principal = { uid: { type: "User", id: "p" }, attrs: { tenant: "acme", suspended: false }, parents: [{ type: "Role", id: "admin" }] };
    expect(decideWithClaims(setup, { method: "GET", path: "/admin/audit", now: NOW, principal })).toMatchObject({ decision: "allow", reason: "allowed", result: { reasons: ["admins-read-audit"] } });
  });
});

// Regressions of issue #16: the old decide.ts restated the order and differed from the pipeline
describe("decideWithClaims: the production stages, not a copy of their order (#16)", () => {
  const GUARDED = '@id("read-orders")\npermit (principal, action == Action::"ReadOrder", resource);\n@id("needs-clearance")\nforbid (principal, action, resource) when { principal.clearance < 3 };';
  const guarded = async (onForbidError: "skip" | "deny"): Promise<DecideSetup> => ({ ...setup, onForbidError, policies: await loadPolicyModule(compilePolicies({ policies: GUARDED }).source) });

  it("applies onForbidError deny: an erroring forbid denies with forbid_error, naming it", async () => {
    const outcome = decideWithClaims(await guarded("deny"), { method: "GET", path: "/tenants/acme/orders/o-1", now: NOW, claims: VERA });
    expect(outcome).toMatchObject({ decision: "deny", reason: "forbid_error", detail: { policies: ["needs-clearance"] } });
  });

  it("skips it under onForbidError skip, as Cedar does", async () => {
    expect(decideWithClaims(await guarded("skip"), { method: "GET", path: "/tenants/acme/orders/o-1", now: NOW, claims: VERA })).toMatchObject({ decision: "allow", reason: "allowed" });
  });

  it("a policy set that throws is internal_error with the message in the detail, not a free-string reason", () => {
    const throwing: DecideSetup = { ...setup, policies: { ...setup.policies, evaluate: () => { throw new Error("entity `x` has no uid"); } } };
    expect(decideWithClaims(throwing, { method: "GET", path: "/tenants/acme/orders", now: NOW, claims: VERA })).toMatchObject({ decision: "deny", reason: "internal_error", detail: { stage: "policies", message: "entity `x` has no uid" } });
  });

  it("a path refusal names the refused segment", () => {
    expect(decideWithClaims(setup, { method: "GET", path: "/tenants/%2e%2e/orders", now: NOW, claims: VERA })).toMatchObject({ reason: "path_traversal", detail: { stage: "path", segment: 1 } });
  });
});

describe("runCases and loadSuites", () => {
  const base: PolicyCase = { name: "n", file: "t.yaml", index: 0, method: "GET", path: "/tenants/acme/orders", claims: VERA, expect: "allow" };
  it("reports each mismatching field", () => {
    const report = runCases(setup, [{ ...base, expect: "deny", reason: "no_route", policies: ["x"], errors: ["y"] }], { now: NOW });
    expect(report.failed).toBe(1);
    expect(report.results[0].mismatches).toEqual([
      { field: "decision", expected: "deny", actual: "allow" },
      { field: "reason", expected: "no_route", actual: "allowed" },
      { field: "policies", expected: "[x]", actual: "[viewers-read-orders]" },
      { field: "errors", expected: "[y]", actual: "[]" },
    ]);
  });
  it("lists the policies and routes no case exercised", () => {
    const report = runCases(setup, [base], { now: NOW });
    expect(report.passed).toBe(1);
    expect(report.unexercisedPolicies).not.toContain("viewers-read-orders");
    expect(report.unexercisedPolicies).toContain("forbid-suspended");
    expect(report.unexercisedRoutes).toContain("GET /health");
    expect(report.unexercisedRoutes).not.toContain("GET /tenants/:tenant/orders");
  });

  let dir: { dir: string; cleanup(): void };
  afterAll(() => dir?.cleanup());
  it("names the file and field of each problem, and keeps the good cases", () => {
    dir = makeProject({
      "tests/a.yaml": `defaults: { claims: { sub: d }, colour: red }
cases:
  - { name: ok, request: GET /health, expect: allow }
  - { name: no method, request: /health, expect: allow }
  - { name: both, claims: {}, principal: { uid: { type: U, id: x } }, request: GET /x, expect: deny }
  - { name: bad time, request: GET /x, expect: deny, now: yesterday }
  - { name: extra, request: GET /x, expect: deny, expected: allow }
  - { name: bad reason, request: GET /x, expect: deny, reason: "bad_request: nope" }
`,
      "tests/b.json": "{ not json",
    });
    const suites = loadSuites(join(dir.dir, "tests"), dir.dir);
    expect(suites.cases.map((c) => c.name)).toEqual(["ok"]);
    expect(suites.problems.map((p) => `${p.file} ${p.field}`)).toEqual([
      "tests/a.yaml defaults.colour",
      "tests/a.yaml cases[1].request",
      "tests/a.yaml cases[2].principal",
      "tests/a.yaml cases[3].now",
      "tests/a.yaml cases[4].expected",
      "tests/a.yaml cases[5].reason",
      "tests/b.json ",
    ]);
  });
});
