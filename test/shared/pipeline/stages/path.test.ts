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
});
