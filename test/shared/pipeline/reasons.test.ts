import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DECISION_REASONS, REASONS_BY_STATUS } from "../../../shared/pipeline/index.ts";
import { auditSchemaPath, repoRoot } from "../../harness/index.ts";

describe("DecisionReason: one closed union for the pipeline, the audit schema and the docs", () => {
  it("lists each reason once, under one status", () => {
    expect(new Set(DECISION_REASONS).size).toBe(DECISION_REASONS.length);
    expect(REASONS_BY_STATUS[200]).toEqual(["allowed", "public_route"]);
  });

  it("is the audit schema's `decision_reason` enum (plus `unknown`, for a caller that passes junk)", () => {
    const schema = JSON.parse(readFileSync(auditSchemaPath, "utf8"));
    expect([...schema.properties.decision_reason.enum].sort()).toEqual([...DECISION_REASONS, "unknown"].sort());
  });

  it("is the table of docs/reasons.md, each with its status", () => {
    const rows = readFileSync(join(repoRoot, "docs", "reasons.md"), "utf8").matchAll(/^\| `([a-z_]+)` \| (\d{3}) \|/gm);
    const documented = Object.fromEntries([...rows].map(([, reason, status]) => [reason, Number(status)]));
    const expected = Object.fromEntries(Object.entries(REASONS_BY_STATUS).flatMap(([status, reasons]) => reasons.map((reason) => [reason, Number(status)])));
    expect(documented).toEqual(expected);
  });
});
