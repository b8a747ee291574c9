import { describe, expect, it } from "vitest";
import { join } from "node:path";
import * as cedar from "@cedar-policy/cedar-wasm/nodejs";
import { repoRoot } from "../harness/index.ts";
import { decideWithCedarWasm, loadPolicyProject } from "./reference.ts";

const project = loadPolicyProject(join(repoRoot, "policies"));

describe("example policies: the project itself", () => {
  it("passes strict validation against its schema", () => {
    const answer = cedar.validate({
      schema: project.schema,
      policies: { staticPolicies: Object.values(project.policies).join("\n") },
      validationSettings: { mode: "strict" },
    });
    expect(answer).toMatchObject({ type: "success", validationErrors: [] });
  });

  it("has at least 30 cases covering every policy and every route", () => {
    expect(project.cases.length).toBeGreaterThanOrEqual(30);
    const decided = new Set(project.cases.flatMap((c) => c.policies ?? []));
    expect([...decided].sort()).toEqual(Object.keys(project.policies).sort());
    const routesHit = new Set(project.cases.map((c) => decideWithCedarWasm(project, c).route).filter(Boolean));
    expect(routesHit.size).toBe(project.routes.length);
  });
});

describe("example policies: expected decisions (cedar-wasm reference)", () => {
  for (const testCase of project.cases) {
    it(`${testCase.expect}: ${testCase.name}`, () => {
      const result = decideWithCedarWasm(project, testCase);
      expect(result.decision).toBe(testCase.expect);
      if (testCase.policies) expect(result.reasons).toEqual([...testCase.policies].sort());
    });
  }
});
