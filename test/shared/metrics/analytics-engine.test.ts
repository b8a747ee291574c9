// The Analytics Engine emitter refills one data point per decision and takes the trace id the
// audit logger already read, so a decision costs no arrays and no second traceparent parse.
import { describe, expect, it } from "vitest";
import type { DecisionFacts } from "../../../shared/audit/facts.ts";
import { createAuditLogger, httpBatchSink } from "../../../shared/audit/index.ts";
import { analyticsEngineMetrics, ANALYTICS_ENGINE_COLUMNS } from "../../../shared/metrics/index.ts";
import { startAuditCollector } from "../../harness/audit-collector.ts";

const TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
const TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";

function facts(over: Partial<DecisionFacts> = {}): DecisionFacts {
  return { decision: "deny", reason: "expired", route: "orders", request: { method: "GET", path: "/orders", headers: { traceparent: TRACEPARENT } }, timingsMs: { total: 0.2 }, ...over } as DecisionFacts;
}

describe("Analytics Engine data points", () => {
  it("writes each decision's values into the point it is given, copied by the dataset at the call", () => {
    const copies: string[] = [];
    const seen = new Set<object>();
    const metrics = analyticsEngineMetrics({ writeDataPoint: (p) => void (seen.add(p), copies.push(JSON.stringify(p))) });
    metrics.observe(facts(), "worker", "v1");
    metrics.observe(facts({ decision: "allow", reason: "allowed", route: null, timingsMs: { total: 3 } }), "worker", null, null);
    expect(copies.map((c) => JSON.parse(c))).toEqual([
      { blobs: ["orders", "deny", "expired", "worker", "v1", TRACE], doubles: [0.2, 0, 0, -1, -1, -1, 0, -1, -1, 0], indexes: ["orders"] },
      { blobs: ["none", "allow", "allowed", "worker", "none", null], doubles: [3, 0, 0, -1, -1, -1, 0, -1, -1, 0], indexes: ["none"] },
    ]);
    expect(seen.size).toBe(1);
  });

  it("marks where a candidate set decided or was only evaluated, whether it disagreed with the stable set, and rollbacks since the previous point", () => {
    const points: number[][] = [];
    const metrics = analyticsEngineMetrics({ writeDataPoint: (p) => void points.push([...p.doubles!]) });
    const answer = (decision: "allow" | "deny") => ({ decision, reasons: [], errors: [] });
    const allowed = { decision: "allow", reason: "allowed", policy: answer("allow") } as const;
    // shadow mode: the enforced set allowed, the candidate denied
    metrics.observe(facts({ ...allowed, shadow: answer("deny") }), "worker", "v1");
    // canary request: the candidate decided (deny) against the stable set's allow
    metrics.observe(facts({ decision: "deny", reason: "policy_denied", policy: answer("deny"), shadow: answer("deny"), canary: { enforced: "candidate", rolledBack: false, stable: answer("allow") } }), "worker", "v1");
    // outside the slice, after a rollback: the stable set decided, the candidate agreed
    metrics.canaryRollback!("deny_rate");
    metrics.observe(facts({ ...allowed, shadow: answer("allow"), canary: { enforced: "stable", rolledBack: true, stable: answer("allow") } }), "worker", "v1");
    metrics.observe(facts({ ...allowed }), "worker", "v1");
    const at = (name: string) => points.map((p) => p[ANALYTICS_ENGINE_COLUMNS.doubles.indexOf(name as never)]);
    expect(at("canary")).toEqual([0, 1, 0, -1]);
    expect(at("candidate_disagrees")).toEqual([1, 1, 0, -1]);
    expect(at("canary_rollbacks")).toEqual([0, 0, 1, 0]);
  });

  it("takes the trace id the audit logger read for the line, which carries the same one", () => {
    const points: (string | null)[] = [];
    const lines: string[] = [];
    const logger = createAuditLogger(undefined, {
      platform: "worker", sink: { writeLine: (l: string) => void lines.push(l), write: () => {}, flush: () => Promise.resolve() } as never,
      metrics: analyticsEngineMetrics({ writeDataPoint: (p) => void points.push(p.blobs![5]) }),
    });
    logger.log(facts());
    logger.log(facts({ traceId: "given-by-adapter", request: { method: "GET", path: "/orders" } }));
    expect(points).toEqual([TRACE, "given-by-adapter"]);
    expect(lines.map((l) => JSON.parse(l).trace_id)).toEqual([TRACE, "given-by-adapter"]);
  });

  it("carries the revocation answer's age, and the audit lines a real collector refused on the next point", async () => {
    const collector = await startAuditCollector();
    try {
      collector.setMode("error");
      const points: number[][] = [];
      const logger = createAuditLogger(undefined, {
        platform: "worker", sink: httpBatchSink({ url: collector.url, batchSize: 1, flushIntervalMs: 0 }),
        metrics: analyticsEngineMetrics({ writeDataPoint: (p) => void points.push([...p.doubles!]) }),
      });
      const allowed = (revocationAgeMs: number | null) => facts({ decision: "allow", reason: "allowed", cache: { tokenHit: true, revocationAgeMs }, revocation: { checked: true, cached: revocationAgeMs !== 0, outcome: "not_revoked", ms: 0.01 } });
      logger.log(allowed(0));
      logger.log(allowed(1500));
      // both one-line batches come back 500 from the collector: two lines lost
      await logger.flush();
      expect(collector.received).toBe(2);
      logger.log(allowed(null));
      logger.log(facts());
      const age = ANALYTICS_ENGINE_COLUMNS.doubles.indexOf("revocation_age_ms");
      const dropped = ANALYTICS_ENGINE_COLUMNS.doubles.indexOf("audit_dropped");
      expect(points.map((p) => p[age])).toEqual([0, 1500, -1, -1]);
      expect(points.map((p) => p[dropped])).toEqual([0, 0, 2, 0]);
      await logger.flush();
    } finally {
      await collector.stop();
    }
  });
});
