import { describe, expect, it } from "vitest";
import { principalStage } from "../../../../shared/pipeline/stages/principal.ts";
import { defaultClaimsMapping } from "../../../../shared/token/index.ts";
import { stateFor } from "./_state.ts";

function verified(claims: Record<string, unknown>) {
  const state = stateFor("GET", "/tenants/acme/orders");
  state.token = { ok: true, claims: Object.freeze(claims), issuer: "dev", claimsMapping: defaultClaimsMapping, cache: { hit: false } };
  state.claims = state.token.claims;
  return state;
}

describe("principal stage", () => {
  const principal = principalStage();

  it("maps the claims to the Cedar principal and the token's context", () => {
    const state = verified({ sub: "vera", tenant: "acme", groups: ["viewer"], scope: "orders:read" });
    expect(principal(state)).toBeUndefined();
    expect(state.principal).toMatchObject({ uid: { type: "User", id: "vera" }, attrs: { tenant: "acme" }, parents: [{ id: "viewer" }] });
    expect(state.tokenContext).toEqual({ scopes: ["orders:read"] });
  });

  it("refuses a claim of the wrong type with 401 claim_type naming the claim", () => {
    const state = verified({ sub: "vera", groups: "viewer" });
    expect(principal(state)).toEqual({ status: 401, reason: "claim_type", detail: { stage: "principal", claim: "groups" } });
    expect(state.authError).toBe("claim_type");
    expect(state.principal).toBeNull();
  });

  it("refuses claims without a principal id with 401 missing_claim", () => {
    expect(principal(verified({ tenant: "acme" }))).toMatchObject({ status: 401, reason: "missing_claim", detail: { stage: "principal" } });
  });
});
