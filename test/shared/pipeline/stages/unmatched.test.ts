import { describe, expect, it } from "vitest";
import { unmatchedStage } from "../../../../shared/pipeline/stages/unmatched.ts";
import { authenticatedState } from "./_state.ts";

describe("unmatched stage", () => {
  const unmatched = unmatchedStage();

  it("refuses an authenticated request no route matched with 403 no_route", () => {
    expect(unmatched(authenticatedState("GET", "/nowhere"))).toEqual({ status: 403, reason: "no_route" });
  });

  it("goes on when a route matched", () => {
    expect(unmatched(authenticatedState("GET", "/tenants/acme/orders"))).toBeUndefined();
  });
});
