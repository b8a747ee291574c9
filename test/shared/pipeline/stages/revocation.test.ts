import { describe, expect, it } from "vitest";
import { isPromise } from "../../../../shared/pipeline/state.ts";
import { revocationStage } from "../../../../shared/pipeline/stages/revocation.ts";
import { createMemoryStore, createRevocationChecker, revoke, type RevocationCheckResult, type RevocationStore } from "../../../../shared/revocation/index.ts";
import { authenticatedState, clock } from "./_state.ts";

const ISS = "https://dev.gatehouse.local";
const failModes = new Map([["GET /tenants/:tenant/orders", "closed" as const]]);

function checkerWith(store: RevocationStore) {
  return createRevocationChecker({ store: { kind: "memory" }, breaker: { failureThreshold: 1000 } }, { store, clock });
}

describe("revocation stage", () => {
  it("goes on when nothing revokes the token, recording the answer", async () => {
    const state = authenticatedState("GET", "/tenants/acme/orders");
    expect(await revocationStage(checkerWith(createMemoryStore()), failModes)(state)).toBeUndefined();
    expect(state.revocation).toMatchObject({ allow: true, outcome: "not_revoked" });
  });

  it("refuses a revoked subject with 401 revoked, naming what matched", async () => {
    const store = createMemoryStore();
    await revoke(store, { iss: ISS, sub: "vera" }, { clock });
    const state = authenticatedState("GET", "/tenants/acme/orders");
    expect(await revocationStage(checkerWith(store), failModes)(state)).toEqual({ status: 401, reason: "revoked", detail: { stage: "revocation", revokedBy: "sub" } });
  });

  it("answers 503 revocation_unavailable under fail mode closed, naming the store and why", async () => {
    const down: RevocationStore = { ...createMemoryStore(), name: "redis", getMany: () => Promise.reject(new Error("connection reset")) };
    const state = authenticatedState("GET", "/tenants/acme/orders");
    expect(await revocationStage(checkerWith(down), failModes)(state)).toEqual({ status: 503, reason: "revocation_unavailable", detail: { stage: "revocation", store: "redis", storeError: "connection" } });
  });

  it("refuses an identifying claim it cannot read with 401 invalid_claim, naming it", async () => {
    const state = authenticatedState("GET", "/tenants/acme/orders", { iss: ISS, sub: "vera", tenant: "acme", groups: ["viewer"], jti: { nested: true } });
    expect(await revocationStage(checkerWith(createMemoryStore()), failModes)(state)).toMatchObject({ status: 401, reason: "invalid_claim", detail: { claim: "jti" } });
  });

  it("passes when revocation is switched off (`revocation: null`)", () => {
    expect(revocationStage(null, failModes)(authenticatedState("GET", "/tenants/acme/orders"))).toBeUndefined();
  });

  it("passes a checker's synchronous answer through without a Promise (issue #22's cached path)", () => {
    const answer: RevocationCheckResult = { allow: true, outcome: "not_revoked", cached: true, ms: 0 };
    const cached = { check: () => answer, store: { name: "memory" } } as unknown as Parameters<typeof revocationStage>[0];
    const state = authenticatedState("GET", "/tenants/acme/orders");
    const result = revocationStage(cached, failModes)(state);
    expect(isPromise(result)).toBe(false);
    expect(state.revocation).toBe(answer);
  });
});
