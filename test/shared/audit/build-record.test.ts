import { describe, expect, it } from "vitest";
import { buildAuditRecord } from "../../../shared/audit/build-record.ts";
import { resolveAuditConfig } from "../../../shared/audit/configure.ts";
import type { DecisionFacts } from "../../../shared/audit/index.ts";
import { auditLineErrors } from "../../harness/index.ts";
import { NOW_MS } from "./fixtures.ts";

const context = { config: resolveAuditConfig({ maxFieldLength: 32 }), platform: "node" as const, policyVersion: null, shadowPolicyVersion: null };
const facts = (detail: DecisionFacts["detail"]): DecisionFacts => ({ decision: "deny", reason: "revocation_unavailable", detail, request: { method: "GET", path: "/x" }, timingsMs: { total: 1 } });

describe("audit line: detail (issue #16)", () => {
  it("writes the stage's detail with snake_case keys, only those that apply", () => {
    const record = buildAuditRecord(facts({ stage: "revocation", store: "redis", storeError: "timeout" }), context, NOW_MS, "d");
    expect(record.detail).toEqual({ stage: "revocation", store: "redis", store_error: "timeout" });
    expect(auditLineErrors(JSON.parse(JSON.stringify(record)))).toEqual([]);
  });

  it("writes null when the stage had nothing to add", () => {
    expect(buildAuditRecord(facts(undefined), context, NOW_MS, "d").detail).toBeNull();
  });

  it("keeps a detail within the field cap and drops values that are not well formed", () => {
    const record = buildAuditRecord(facts({ stage: "path", segment: -1, claim: "c".repeat(100), revokedBy: "Not A Code" } as never), context, NOW_MS, "d");
    expect(record.detail).toEqual({ stage: "path", claim: `${"c".repeat(31)}…`, revoked_by: "unknown" });
    expect(auditLineErrors(JSON.parse(JSON.stringify(record)))).toEqual([]);
  });
});
