// #19: the Analytics Engine emitter refills one data point per decision and takes the trace id the
// audit logger already read, so a decision costs no arrays and no second traceparent parse.
import { describe, expect, it } from "vitest";
import type { DecisionFacts } from "../../../shared/audit/facts.ts";
import { createAuditLogger } from "../../../shared/audit/index.ts";
import { analyticsEngineMetrics } from "../../../shared/metrics/index.ts";

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
      { blobs: ["orders", "deny", "expired", "worker", "v1", TRACE], doubles: [0.2, 0, 0, -1, -1], indexes: ["orders"] },
      { blobs: ["none", "allow", "allowed", "worker", "none", null], doubles: [3, 0, 0, -1, -1], indexes: ["none"] },
    ]);
    expect(seen.size).toBe(1);
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
});
