import { describe, expect, it } from "vitest";
import { compareShadow, type PolicyOutcome } from "../../../shared/audit/index.ts";

const allow: PolicyOutcome = { decision: "allow", reasons: ["p1"], errors: [] };
const deny: PolicyOutcome = { decision: "deny", reasons: ["f1"], errors: [{ policy: "p9", message: "type error: expected long, got string" }] };

describe("compareShadow", () => {
  it("agrees when the decisions match, even if different policies decided", () => {
    expect(compareShadow(allow, { decision: "allow", reasons: ["p2"], errors: [] }, "v2")).toEqual({
      decision: "allow",
      reasons: ["p2"],
      errors: [],
      agrees: true,
      policy_version: "v2",
    });
  });

  it("marks a candidate deny against an enforced allow as a disagreement", () => {
    expect(compareShadow(allow, deny, "v2")).toMatchObject({ decision: "deny", agrees: false, reasons: ["f1"] });
  });

  it("marks a candidate allow against an enforced deny as a disagreement", () => {
    expect(compareShadow(deny, allow).agrees).toBe(false);
  });

  it("records candidate errors by id only unless asked for messages", () => {
    expect(compareShadow(allow, deny).errors).toEqual([{ policy: "p9" }]);
    expect(compareShadow(allow, deny, null, "message").errors).toEqual([{ policy: "p9", message: "type error: expected long, got string" }]);
  });

  it("defaults the candidate version to null", () => {
    expect(compareShadow(allow, allow).policy_version).toBeNull();
  });
});
