import { describe, expect, it } from "vitest";
import { DEFAULT_PATH_LIMITS } from "../../../../shared/routes/index.ts";
import { pathStage } from "../../../../shared/pipeline/stages/path.ts";
import { stateFor } from "./_state.ts";

describe("path stage", () => {
  const path = pathStage(DEFAULT_PATH_LIMITS);

  it("goes on with the decoded segments of a clean path", () => {
    const state = stateFor("GET", "/tenants/acme/orders/o%2D17");
    expect(path(state)).toBeUndefined();
    expect(state.segments).toEqual(["tenants", "acme", "orders", "o-17"]);
  });

  it("refuses a traversal with 403 path_traversal, naming the segment", () => {
    expect(path(stateFor("GET", "/tenants/%2e%2e/admin"))).toEqual({ status: 403, reason: "path_traversal", detail: { stage: "path", segment: 1 } });
  });

  it("refuses an encoded separator with 403 encoded_separator", () => {
    expect(path(stateFor("GET", "/tenants/a%2Fb"))).toMatchObject({ status: 403, reason: "encoded_separator", detail: { stage: "path", segment: 1 } });
  });

  it("refuses a path over the limits with 403 path_too_long", () => {
    const limited = pathStage({ maxPathLength: 2048, maxSegments: 2 });
    expect(limited(stateFor("GET", "/a/b/c"))).toMatchObject({ status: 403, reason: "path_too_long" });
  });

  // Issue #22: the last accepted path's segments are shared (frozen) with the next request of that path
  it("hands the same frozen segments for the same path again, and a different path its own", () => {
    const stage = pathStage(DEFAULT_PATH_LIMITS);
    // nothing is remembered before the first accepted path: an empty one is refused, not taken for the last
    expect(stage(stateFor("GET", ""))).toMatchObject({ reason: "not_absolute" });
    const first = stateFor("GET", "/tenants/acme/orders/o-17");
    const again = stateFor("GET", "/tenants/acme/orders/o-17");
    const other = stateFor("GET", "/tenants/acme/orders/o-18");
    expect(stage(first)).toBeUndefined();
    expect(stage(again)).toBeUndefined();
    expect(again.segments).toBe(first.segments);
    expect(Object.isFrozen(first.segments)).toBe(true);
    expect(stage(other)).toBeUndefined();
    expect(other.segments).toEqual(["tenants", "acme", "orders", "o-18"]);
    // a refused path is never remembered: refused again, and the path before it still answers right
    expect(stage(stateFor("GET", "/tenants/%2e%2e/admin"))).toMatchObject({ reason: "path_traversal" });
    expect(stage(stateFor("GET", "/tenants/%2e%2e/admin"))).toMatchObject({ reason: "path_traversal" });
    const back = stateFor("GET", "/tenants/acme/orders/o-17");
    expect(stage(back)).toBeUndefined();
    expect(back.segments).toEqual(["tenants", "acme", "orders", "o-17"]);
  });
});
