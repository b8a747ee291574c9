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

  // Issue #22: consecutive requests of one (frozen) match share its resolved request, frozen; for a
  // set built by this runtime the resource is its entity, decoded once
  it("shares the resolved request of the same frozen match, and resolves another match afresh", () => {
    const stage = requestStage([], clock, true);
    const first = authenticatedState("GET", "/tenants/acme/orders/o-17");
    Object.freeze(first.match);
    expect(stage(first)).toBeUndefined();
    const again = authenticatedState("GET", "/tenants/acme/orders/o-17");
    again.match = first.match;
    expect(stage(again)).toBeUndefined();
    expect(again.request).toBe(first.request);
    expect(Object.isFrozen(first.request!.resourceEntity.attrs)).toBe(true);
    expect(again.entities![1]).toBe(first.entities![1]);
    expect(again.cedarRequest!.resource).toEqual({ type: "Order", id: "acme/o-17" });
    const other = authenticatedState("GET", "/tenants/globex/orders/o-18");
    expect(stage(other)).toBeUndefined();
    expect(other.cedarRequest!.resource).toEqual({ type: "Order", id: "globex/o-18" });
    expect(other.request!.resourceEntity.attrs).toEqual({ tenant: "globex" });
    expect(other.entities![1]).not.toBe(first.entities![1]);
  });
});
