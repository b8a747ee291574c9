// The entity stage's merge (#17) when the resource is the principal itself (#17b): the conformance
// corpus's live mode found that a second, bare entity for the same uid replaced the merged one.
import { describe, expect, it } from "vitest";
import { mergeEntities, type BuiltEntities } from "../../../shared/entities/index.ts";
import { compilePolicies, loadPolicyModules } from "../../../tools/compiler/index.ts";

const olive = { type: "User", id: "olive" };
const built: BuiltEntities = { principal: { uid: olive, attrs: { tenant: "acme" }, parents: [] }, resource: { uid: olive, attrs: {}, parents: [] } };
const record = { uid: olive, attrs: { suspended: true }, parents: [{ type: "Role", id: "viewer" }] };

describe("mergeEntities: a resource that is the principal", () => {
  it("gives one entity for the uid, the principal's merge with the record", () => {
    expect(mergeEntities(built, [record], new Set())).toEqual([{ uid: olive, attrs: { tenant: "acme", suspended: true }, parents: [{ type: "Role", id: "viewer" }] }]);
  });

  it("keeps the principal and resource apart when they differ", () => {
    const order = { uid: { type: "Order", id: "o-1" }, attrs: {}, parents: [] };
    expect(mergeEntities({ principal: built.principal, resource: order }, [record], new Set())).toHaveLength(2);
  });

  it("lets the policies see the record's attributes on the resource too", async () => {
    const { source } = compilePolicies({ policies: [{ file: "p.cedar", text: "permit(principal, action, resource) when { resource.suspended == true && principal in Role::\"viewer\" };" }], entities: [], idMode: "cedar" });
    const [set] = await loadPolicyModules([source]);
    const request = { principal: olive, action: { type: "Action", id: "view" }, resource: olive, context: {} };
    expect(set.evaluate(request, mergeEntities(built, [record], new Set())).decision).toBe("allow");
  });
});
