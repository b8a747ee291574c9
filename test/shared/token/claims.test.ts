import { describe, expect, it } from "vitest";
import { defaultClaimsMapping, mapClaims, resolveClaimsMapping, type MapClaimsOutcome } from "../../../shared/token/index.ts";

function expectRefused(outcome: MapClaimsOutcome, reason: string, claim: string): void {
  expect(outcome).toEqual({ ok: false, reason, claim });
}

describe("default mapping (example policies)", () => {
  it("maps sub, tenant, suspended, groups, scopes, amr and acr", () => {
    const outcome = mapClaims(
      { sub: "alice", tenant: "acme", suspended: true, groups: ["admin", "ops", "admin"], scope: "read:orders  write:orders", amr: ["pwd", "otp"], acr: "urn:mfa" },
      defaultClaimsMapping,
    );
    expect(outcome).toEqual({
      ok: true,
      principal: {
        uid: { type: "User", id: "alice" },
        attrs: { tenant: "acme", suspended: true },
        parents: [{ type: "Role", id: "admin" }, { type: "Role", id: "ops" }],
      },
      context: { scopes: ["read:orders", "write:orders"], amr: ["pwd", "otp"], acr: "urn:mfa" },
    });
  });

  it("defaults suspended to false and leaves tenant out when absent", () => {
    const outcome = mapClaims({ sub: "bob" }, defaultClaimsMapping);
    expect(outcome).toEqual({ ok: true, principal: { uid: { type: "User", id: "bob" }, attrs: { suspended: false }, parents: [] }, context: { scopes: [] } });
  });

  it("uses client_id for client-credentials tokens without sub (RFC 9068 §2.2)", () => {
    const outcome = mapClaims({ client_id: "billing-service", scp: ["orders.read"] }, defaultClaimsMapping);
    expect(outcome.ok && outcome.principal.uid).toEqual({ type: "User", id: "billing-service" });
    expect(outcome.ok && outcome.context.scopes).toEqual(["orders.read"]);
  });

  it("merges scope and scp, and accepts scp as a space-separated string", () => {
    const outcome = mapClaims({ sub: "a", scope: "a b", scp: "b c" }, defaultClaimsMapping);
    expect(outcome.ok && outcome.context.scopes).toEqual(["a", "b", "c"]);
  });
});

describe("wrong claim types are refusals, never exceptions", () => {
  const cases: Array<[string, Record<string, unknown>, string, string]> = [
    ["sub is a number", { sub: 42 }, "claim_type", "sub"],
    ["sub is empty", { sub: "" }, "claim_type", "sub"],
    ["no principal id", { tenant: "acme" }, "missing_claim", "sub|client_id"],
    ["tenant is an array", { sub: "a", tenant: ["acme"] }, "claim_type", "tenant"],
    ["suspended is the string true", { sub: "a", suspended: "true" }, "claim_type", "suspended"],
    ["groups is a string", { sub: "a", groups: "admin" }, "claim_type", "groups"],
    ["groups holds a number", { sub: "a", groups: ["admin", 1] }, "claim_type", "groups"],
    ["scope is an object", { sub: "a", scope: { read: true } }, "claim_type", "scope"],
    ["scp holds null", { sub: "a", scp: [null] }, "claim_type", "scp"],
    ["amr is a string", { sub: "a", amr: "pwd" }, "claim_type", "amr"],
    ["acr is a number", { sub: "a", acr: 2 }, "claim_type", "acr"],
  ];
  for (const [title, claims, reason, claim] of cases) {
    it(`refuses when ${title}`, () => expectRefused(mapClaims(claims, defaultClaimsMapping), reason, claim));
  }
});

describe("configurable mapping", () => {
  const mapping = resolveClaimsMapping({
    principalType: "App::Employee",
    principalIdClaims: ["oid"],
    attributes: {
      department: { claim: ["https://example.test/claims", "department"], type: "string" },
      level: { claim: "level", type: "long", default: 0 },
      regions: { claim: "regions", type: "string_set" },
    },
    parents: { claim: ["realm_access", "roles"], entityType: "App::Role" },
    scopeClaims: ["scp"],
    amrClaim: null,
    acrClaim: null,
  });

  it("maps nested claims, namespaced types and typed attributes", () => {
    const outcome = mapClaims(
      { oid: "e-7", "https://example.test/claims": { department: "sales" }, level: 3, regions: ["eu", "eu", "us"], realm_access: { roles: ["manager"] }, amr: ["pwd"], scope: "ignored" },
      mapping,
    );
    expect(outcome).toEqual({
      ok: true,
      principal: { uid: { type: "App::Employee", id: "e-7" }, attrs: { department: "sales", level: 3, regions: ["eu", "us"] }, parents: [{ type: "App::Role", id: "manager" }] },
      context: { scopes: [] },
    });
  });

  it("refuses a long that is not a safe integer", () => {
    expectRefused(mapClaims({ oid: "e", level: 1.5 }, mapping), "claim_type", "level");
    expectRefused(mapClaims({ oid: "e", level: 2 ** 60 }, mapping), "claim_type", "level");
  });

  it("does not read inherited or non-object paths as claims", () => {
    const outcome = mapClaims({ oid: "e", realm_access: Object.create({ roles: ["admin"] }), "https://example.test/claims": "flat" }, mapping);
    expect(outcome.ok && outcome.principal.parents).toEqual([]);
    expect(outcome.ok && outcome.principal.attrs).toEqual({ level: 0 });
  });
});
