// The audit line's `replay` and `canary` fields (issue #18): written only when asked for, with what
// the audit config withholds left out and named, and byte for byte the same through both writers.
import { describe, expect, it } from "vitest";
import { buildAuditRecord, resolveAuditConfig, type AuditConfig, type AuditContext, type DecisionFacts } from "../../../shared/audit/index.ts";
import { serializeAuditLine } from "../../../shared/audit/serialize-line.ts";
import { Datetime } from "../../../shared/policy/datetime.ts";
import { parseIp } from "../../../shared/policy/ip.ts";
import { auditLineErrors } from "../../harness/index.ts";
import { createTestPipeline, EXAMPLE_START_MS } from "../../harness/gatehouse-pipeline.ts";
import { NOW_MS } from "./fixtures.ts";

const principal = { uid: { type: "User", id: "vera" }, attrs: { tenant: "acme", suspended: false }, parents: [{ type: "Role", id: "viewer" }] };
const jsonContext = {
  scopes: ["orders:read"],
  amr: ["pwd"],
  time: { __extn: { fn: "datetime", arg: "2026-11-22T10:00:00.000Z" } },
  ip: { __extn: { fn: "ip", arg: "198.51.100.7" } },
  headers: { "x-device": "kiosk" },
};
const stable = { decision: "allow" as const, reasons: ["viewers-read-orders"], errors: [] };

function facts(extra: Partial<DecisionFacts> = {}): DecisionFacts {
  return {
    decision: "deny",
    reason: "policy_denied",
    request: { method: "GET", path: "/tenants/acme/orders", clientIp: "198.51.100.7" },
    route: "GET /tenants/:tenant/orders",
    principal: principal.uid,
    action: 'Action::"ListOrders"',
    resource: 'OrderCollection::"acme"',
    policy: { decision: "deny", reasons: ["broad-deny"], errors: [] },
    shadow: { decision: "deny", reasons: ["broad-deny"], errors: [] },
    timingsMs: { total: 0.5 },
    principalEntity: principal,
    context: jsonContext,
    ...extra,
  };
}

function line(config: AuditConfig, f: DecisionFacts): Record<string, any> {
  const context: AuditContext = { config: resolveAuditConfig(config), platform: "node", policyVersion: "v-stable", shadowPolicyVersion: "v-candidate" };
  const text = serializeAuditLine(f, context, NOW_MS, "11111111-2222-4333-8444-555555555555");
  expect(text).toBe(JSON.stringify(buildAuditRecord(f, context, NOW_MS, "11111111-2222-4333-8444-555555555555")));
  expect(auditLineErrors(text)).toEqual([]);
  return JSON.parse(text) as Record<string, any>;
}

describe("replay facts", () => {
  it("are off by default", () => {
    expect(line({}, facts())).not.toHaveProperty("replay");
    expect(() => resolveAuditConfig({ replay: "yes" } as never)).toThrow(/audit\.replay: expected `true` or `false`/);
  });

  it("carry the principal entity and the context with clientIp keep", () => {
    expect(line({ replay: true, clientIp: "keep" }, facts()).replay).toEqual({ principal, context: jsonContext, omitted: [] });
  });

  it("withhold the client address unless clientIp is keep, and say so", () => {
    for (const clientIp of ["truncate", "hash", "omit"] as const) {
      const config: AuditConfig = clientIp === "hash" ? { replay: true, clientIp, clientIpSalt: "0123456789abcdef-salt" } : { replay: true, clientIp };
      const replay = line(config, facts()).replay;
      expect(replay.omitted).toEqual(["ip"]);
      expect(replay.context).not.toHaveProperty("ip");
      expect(JSON.stringify(replay)).not.toContain("198.51.100.7");
    }
  });

  it("write the runtime's parsed datetime and ipaddr as Cedar JSON", () => {
    const parsed = { ...jsonContext, time: new Datetime(Date.UTC(2026, 10, 22, 10, 0, 0)), ip: parseIp("2001:db8::1") };
    expect(line({ replay: true, clientIp: "keep" }, facts({ context: parsed })).replay.context).toEqual({
      ...jsonContext,
      ip: { __extn: { fn: "ip", arg: "2001:db8:0:0:0:0:0:1" } },
    });
  });

  it("are left out, and the line says so, when too large for one log record", () => {
    const big = { ...principal, attrs: { tenant: "x".repeat(20_000) } };
    expect(line({ replay: true }, facts({ principalEntity: big })).replay).toEqual({ principal: null, context: null, omitted: ["too_large"] });
  });

  it("are absent from lines that ended before the policies", () => {
    expect(line({ replay: true }, facts({ principalEntity: null, context: null }))).not.toHaveProperty("replay");
  });

  it("come from the real pipeline: the principal the token mapped to and the context the policies saw", async () => {
    const pipeline = await createTestPipeline({ config: { audit: { replay: true, clientIp: "keep" } } });
    const token = await pipeline.mint();
    const decision = await pipeline.authorize({ platform: "node", method: "GET", path: "/tenants/acme/orders/o-1", headers: new Headers({ authorization: `Bearer ${token}` }), clientIp: "203.0.113.9" });
    expect(decision.status).toBe(200);
    const [record] = pipeline.audit.records;
    expect(auditLineErrors(record)).toEqual([]);
    expect(record.replay).toEqual({
      principal: { uid: { type: "User", id: "vera" }, attrs: expect.objectContaining({ tenant: "acme" }), parents: [{ type: "Role", id: "viewer" }] },
      context: { scopes: ["orders:read"], amr: ["pwd"], time: { __extn: { fn: "datetime", arg: new Date(EXAMPLE_START_MS).toISOString() } }, ip: { __extn: { fn: "ip", arg: "203.0.113.9" } } },
      omitted: [],
    });
    // A public route never reaches the policies
    await pipeline.authorize({ platform: "node", method: "GET", path: "/health", headers: new Headers() });
    expect(pipeline.audit.records[1]).not.toHaveProperty("replay");
  });
});

describe("canary field", () => {
  it("names the set that decided, and the shadow compares the candidate with the stable set", () => {
    const record = line({}, facts({ canary: { enforced: "candidate", rolledBack: false, stable } }));
    expect(record.canary).toEqual({ enforced: "candidate", rolled_back: false, stable_decision: "allow", stable_reasons: ["viewers-read-orders"] });
    // The line's decision is the candidate's deny; the shadow disagrees with the stable allow
    expect(record.decision).toBe("deny");
    expect(record.shadow).toMatchObject({ decision: "deny", agrees: false, policy_version: "v-candidate" });
  });

  it("is absent without a canary", () => {
    expect(line({}, facts())).not.toHaveProperty("canary");
  });
});
