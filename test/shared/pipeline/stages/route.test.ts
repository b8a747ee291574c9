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

  // Issue #22: the same frozen segments and method reuse the last (frozen) match; another method or path does not
  it("reuses the last match only for the same frozen segments and the same method", () => {
    const stage = routeStage(routes);
    const segments = Object.freeze(["tenants", "acme", "orders", "o-17"]);
    const first = stateFor("GET", "/tenants/acme/orders/o-17");
    first.segments = segments;
    stage(first);
    const again = stateFor("GET", "/tenants/acme/orders/o-17");
    again.segments = segments;
    stage(again);
    expect(again.match).toBe(first.match);
    expect(Object.isFrozen(first.match)).toBe(true);
    expect(Object.isFrozen(first.match!.params)).toBe(true);
    const post = stateFor("DELETE", "/tenants/acme/orders/o-17");
    post.segments = segments;
    stage(post);
    expect(post.match?.route.name ?? null).not.toBe("GET /tenants/:tenant/orders/:id");
    const unfrozen = at("GET", "/tenants/acme/orders/o-17");
    stage(unfrozen);
    expect(unfrozen.match).not.toBe(first.match);
    expect(unfrozen.match).toEqual(first.match);
  });
});
