import { describe, expect, it } from "vitest";
import { requestStage } from "../../../../shared/pipeline/stages/request.ts";
import { authenticatedState, clock } from "./_state.ts";

describe("request mapping stage", () => {
  it("maps the route to the Cedar action, resource and entities, with the context at the pipeline's time", () => {
    const state = authenticatedState("GET", "/tenants/acme/orders/o-17");
    expect(requestStage(["x-team"], clock)(state)).toBeUndefined();
    expect(state.cedarRequest).toEqual({
      principal: { type: "User", id: "vera" },
      action: { type: "Action", id: "ReadOrder" },
      resource: { type: "Order", id: "acme/o-17" },
      context: { scopes: ["orders:read"], amr: ["pwd"], time: { __extn: { fn: "datetime", arg: new Date(clock.now()).toISOString() } }, headers: {} },
    });
    expect(state.entities).toEqual([state.principal, { uid: { type: "Order", id: "acme/o-17" }, attrs: { tenant: "acme" }, parents: [] }]);
  });

  it("refuses a route with no action or resource with 403 no_route", () => {
    const state = authenticatedState("GET", "/health");
    expect(requestStage([], clock)(state)).toEqual({ status: 403, reason: "no_route" });
  });
});
