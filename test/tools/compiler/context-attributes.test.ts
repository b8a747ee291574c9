// A compiled policy set says which `context` attributes its policies can read, in the generated
// module and in a loaded bundle alike, so the pipeline can leave out `geo` when none reads it.
import { describe, expect, it } from "vitest";
import { definePolicySet } from "../../../shared/policy/index.ts";
import { loadPolicyIr } from "../../../shared/policy/bundle/index.ts";
import { compilePolicies, compilePolicyProject, loadPolicyModule } from "../../../tools/compiler/index.ts";

const POLICIES_DIR = new URL("../../../policies", import.meta.url).pathname;

const NO_GEO = [
  '@id("mfa") forbid (principal, action, resource) unless { context.amr.contains("mfa") };',
  '@id("office") permit (principal, action, resource) when { context has ip && context.ip.isInRange(ip("10.0.0.0/8")) && context.scopes.contains("a") };',
].join("\n");

describe("compiled policy sets: contextAttributes", () => {
  it("lists the attributes the policies read in the generated module, and exposes them as a set", async () => {
    const compiled = compilePolicies({ policies: NO_GEO });
    expect(compiled.source).toContain('  contextAttributes: ["amr", "ip", "scopes"],');
    const set = await loadPolicyModule(compiled.source);
    expect(set.contextAttributes).toEqual(new Set(["amr", "ip", "scopes"]));
    expect(set.contextAttributes?.has("geo")).toBe(false);
  });

  it("loads the same list from the IR of a bundle", () => {
    const compiled = compilePolicies({ policies: NO_GEO });
    expect(loadPolicyIr(JSON.parse(JSON.stringify(compiled.ir))).contextAttributes).toEqual(new Set(["amr", "ip", "scopes"]));
    const geo = compilePolicies({ policies: 'permit (principal, action, resource) when { context.geo.country == "NZ" };' });
    expect(loadPolicyIr(geo.ir).contextAttributes).toEqual(new Set(["geo"]));
  });

  it("writes an empty list for policies that read no context", async () => {
    const compiled = compilePolicies({ policies: "permit (principal, action, resource) when { principal.tenant == resource.tenant };" });
    expect(compiled.source).toContain("  contextAttributes: [],");
    expect((await loadPolicyModule(compiled.source)).contextAttributes).toEqual(new Set());
  });

  it("writes nothing when a policy uses context whole: the set then says every attribute may be read", async () => {
    const compiled = compilePolicies({ policies: "permit (principal, action, resource) when { context == {} };" });
    expect(compiled.source).not.toContain("contextAttributes");
    expect((await loadPolicyModule(compiled.source)).contextAttributes).toBeNull();
    expect(loadPolicyIr(compiled.ir).contextAttributes).toBeNull();
  });

  it("the example project (policies/) does not read geo", async () => {
    const set = await loadPolicyModule(compilePolicyProject({ policiesDir: POLICIES_DIR }).source);
    expect(set.contextAttributes).not.toBeNull();
    expect(set.contextAttributes).toBeDefined();
    expect(set.contextAttributes!.has("geo")).toBe(false);
  });

  it("a module generated before the list existed, or a hand-written set, says nothing (null)", async () => {
    const source = compilePolicies({ policies: NO_GEO }).source.replace(/^ {2}contextAttributes: .*\n/m, "");
    expect(source).not.toContain("contextAttributes");
    expect((await loadPolicyModule(source)).contextAttributes).toBeNull();
    expect(definePolicySet({ version: "v", entities: [], policies: [] }).contextAttributes).toBeNull();
    // anything but a list is not a statement about the policies
    expect(definePolicySet({ version: "v", entities: [], policies: [], contextAttributes: "geo" as unknown as string[] }).contextAttributes).toBeNull();
  });
});
