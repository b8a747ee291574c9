// `onForbidError`: Cedar skips a forbid whose evaluation errors (exact Cedar, the default); the
// strict mode denies instead, so a data mistake cannot silently switch a guard rail off.
import { describe, expect, it } from "vitest";
import { ConfigError } from "../../../shared/errors.ts";
import { compilePolicies, loadPolicyModule } from "../../../tools/compiler/index.ts";
import { input, setup, viewer } from "./fixtures.ts";

// The forbid reads an attribute tokens never carry, so it errors on every request
const GUARDED = `
@id("read-orders")
permit (principal, action == Action::"ReadOrder", resource);

@id("needs-clearance")
forbid (principal, action, resource) when { principal.clearance < 3 };
`;

const guarded = () => loadPolicyModule(compilePolicies({ policies: GUARDED }).source);

describe("onForbidError", () => {
  it("skip (default): the erroring forbid does not apply, the permit allows, the error is audited", async () => {
    const env = await setup({}, { policies: await guarded() });
    const decision = await env.authorize(input("GET", "/tenants/acme/orders/o-1", await env.token(viewer)));
    expect(decision).toMatchObject({ allow: true, status: 200, reason: "allowed", policies: ["read-orders"] });
    expect(env.sink.records[0].policy_errors).toEqual([{ policy: "needs-clearance" }]);
  });

  it("deny: the erroring forbid denies with reason forbid_error and names the policy in the line", async () => {
    const env = await setup({ onForbidError: "deny" }, { policies: await guarded() });
    const decision = await env.authorize(input("GET", "/tenants/acme/orders/o-1", await env.token(viewer)));
    expect(decision).toMatchObject({ allow: false, status: 403, reason: "forbid_error" });
    expect(env.sink.records[0]).toMatchObject({ decision: "deny", decision_reason: "forbid_error", policy_errors: [{ policy: "needs-clearance" }] });
  });

  it("deny: an erroring permit is still only skipped", async () => {
    const policies = await loadPolicyModule(compilePolicies({
      policies: '@id("read-orders")\npermit (principal, action == Action::"ReadOrder", resource);\n@id("broken-permit")\npermit (principal, action, resource) when { principal.clearance > 3 };',
    }).source);
    const env = await setup({ onForbidError: "deny" }, { policies });
    const decision = await env.authorize(input("GET", "/tenants/acme/orders/o-1", await env.token(viewer)));
    expect(decision).toMatchObject({ allow: true, reason: "allowed" });
  });

  it("refuses any other value at start, naming the field", async () => {
    await expect(setup({ onForbidError: "open" as never })).rejects.toThrow(ConfigError);
    await expect(setup({ onForbidError: "open" as never })).rejects.toThrow(/onForbidError/);
  });
});
