// Issue #22: the audit line's action text is made once per route action object, never stale.
import { describe, expect, it } from "vitest";
import { actionText } from "../../../shared/pipeline/entity-text.ts";
import { compileRoutes } from "../../../shared/routes/index.ts";

describe("actionText", () => {
  it("writes the action of a compiled route as Cedar does, the same text each time", () => {
    const table = compileRoutes([{ method: "GET", path: "/orders/:id", action: 'Read"Order\\', resource: { type: "Order", id: "{id}" } }], "routes");
    const action = table.routes[0].action!;
    expect(actionText(action)).toBe('Action::"Read\\"Order\\\\"');
    expect(actionText(action)).toBe(actionText(action));
  });

  it("works the text out afresh for an action object that is not frozen", () => {
    const action = { type: "Action", id: "Read" };
    expect(actionText(action)).toBe('Action::"Read"');
    action.id = "Write";
    expect(actionText(action)).toBe('Action::"Write"');
  });
});
