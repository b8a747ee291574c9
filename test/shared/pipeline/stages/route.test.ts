import { describe, expect, it } from "vitest";
import { routeStage } from "../../../../shared/pipeline/stages/route.ts";
import { routes, stateFor } from "./_state.ts";

describe("route stage", () => {
  const route = routeStage(routes);
  const at = (method: string, path: string) => {
    const state = stateFor(method, path);
    state.segments = path.split("/").slice(1);
    return state;
  };

  it("ends a public route with 200 public_route, before any credential is read", () => {
    const state = at("GET", "/health");
    expect(route(state)).toEqual({ status: 200, reason: "public_route" });
    expect(state.match?.route.name).toBe("GET /health");
  });

  it("goes on with the match and its parameters for a protected route", () => {
    const state = at("GET", "/tenants/acme/orders/o-17");
    expect(route(state)).toBeUndefined();
    expect(state.match).toMatchObject({ route: { name: "GET /tenants/:tenant/orders/:id" }, params: ["acme", "o-17"] });
  });

  it("goes on without a match for an unmatched route: it is refused only after authentication", () => {
    const state = at("GET", "/nowhere");
    expect(route(state)).toBeUndefined();
    expect(state.match).toBeNull();
  });
});
