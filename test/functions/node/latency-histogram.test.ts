// The latency histogram is read from the metrics table at scrape time: series that differ only
// in reason or policy version are summed, and each bucket's exemplar is the latest trace id that fell in it.
import { describe, expect, it } from "vitest";
import type { DecisionFacts } from "../../../shared/audit/facts.ts";
import { prometheusMetrics } from "../../../functions/node/metrics.ts";

const TRACE_A = "4bf92f3577b34da6a3ce929d0e0e4736";
const TRACE_B = "0af7651916cd43dd8448eb211c80319c";

function facts(reason: DecisionFacts["reason"], decision: "allow" | "deny", totalMs: number): DecisionFacts {
  return { decision, reason, route: "orders", request: { method: "GET", path: "/orders" }, timingsMs: { total: totalMs } } as DecisionFacts;
}

describe("Prometheus latency histogram from the metrics table", () => {
  it("sums series by route, decision and platform, cumulative in seconds, with the latest trace id per bucket", async () => {
    const metrics = prometheusMetrics();
    metrics.observe(facts("expired", "deny", 0.03), "node", "v1", TRACE_A);
    metrics.observe(facts("revoked", "deny", 0.03), "node", "v1", TRACE_B);
    metrics.observe(facts("revoked", "deny", 0.2), "node", "v2", null);
    metrics.observe(facts("allowed", "allow", 500), "node", "v1", TRACE_A);
    const { body } = await metrics.render(true);
    const deny = (le: string) => new RegExp(`^gatehouse_decision_duration_seconds_bucket\\{le="${le}",route="orders",decision="deny",platform="node"\\} (\\d+)(.*)$`, "m");
    expect(body.match(deny("0.00005"))?.[1]).toBe("2");
    expect(body.match(deny("0.00005"))?.[2]).toMatch(new RegExp(`^ # \\{trace_id="${TRACE_B}"\\} 0\\.0000(3|29+\\d*) \\d+(\\.\\d+)?$`));
    expect(body.match(deny("0.00025"))?.slice(1, 3)).toEqual(["3", ""]);
    expect(body.match(deny("\\+Inf"))?.[1]).toBe("3");
    expect(body).toMatch(/^gatehouse_decision_duration_seconds_count\{route="orders",decision="deny",platform="node"\} 3$/m);
    expect(Number(body.match(/^gatehouse_decision_duration_seconds_sum\{route="orders",decision="deny",platform="node"\} (\S+)$/m)?.[1])).toBeCloseTo(0.00026, 9);
    // Overflow: only +Inf counts it, and carries its exemplar
    expect(body).toMatch(/^gatehouse_decision_duration_seconds_bucket\{le="0\.1",route="orders",decision="allow",platform="node"\} 0$/m);
    expect(body).toMatch(new RegExp(`^gatehouse_decision_duration_seconds_bucket\\{le="\\+Inf",route="orders",decision="allow",platform="node"\\} 1 # \\{trace_id="${TRACE_A}"\\} 0\\.5 `, "m"));
    // Prometheus text 0.0.4 carries no exemplars
    const plain = (await metrics.render(false)).body;
    expect(plain).toMatch(/^# TYPE gatehouse_decision_duration_seconds histogram$/m);
    expect(plain).not.toContain("trace_id");
  });

  it("leaves out an exemplar prom-client would refuse (label set over 128 characters)", async () => {
    const metrics = prometheusMetrics();
    metrics.observe(facts("allowed", "allow", 0.03), "node", "v1", "a".repeat(121));
    const { body } = await metrics.render(true);
    expect(body).toMatch(/^gatehouse_decision_duration_seconds_bucket\{le="0\.00005",route="orders",decision="allow",platform="node"\} 1$/m);
    expect(body).not.toContain("trace_id");
  });
});
