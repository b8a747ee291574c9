// Audit completeness: lines lost after sampling kept them are counted as `audit_lines_dropped`, once
// each, whichever of the platform loggers sharing a sink notices; lines sampling skipped on purpose
// are not losses. Read back from the EMF documents the Lambda emitter writes.
import { describe, expect, it } from "vitest";
import type { DecisionFacts } from "../../../shared/audit/facts.ts";
import { createAuditLogger, httpBatchSink, stdoutSink } from "../../../shared/audit/index.ts";
import { emfMetrics } from "../../../shared/metrics/index.ts";
import { startAuditCollector } from "../../harness/audit-collector.ts";

const allowed = { decision: "allow", reason: "allowed", route: "r", request: { method: "GET", path: "/x" }, timingsMs: { total: 0.1 } } as DecisionFacts;

function emf() {
  const docs: Record<string, unknown>[] = [];
  const metrics = emfMetrics({ writeLine: (l) => void docs.push(JSON.parse(l) as Record<string, unknown>), now: () => 1_700_000_000_000 });
  const dropped = () => docs.filter((d) => d.AuditLinesDropped !== undefined).reduce((n, d) => n + (d.AuditLinesDropped as number), 0);
  return { metrics, docs, dropped };
}

describe("audit lines dropped", () => {
  it("counts a full buffer's drops once, though two loggers share the sink", async () => {
    const collector = await startAuditCollector();
    try {
      // The collector never answers: the first line stays in flight and fills the buffer of one
      collector.setMode("hang");
      const sink = httpBatchSink({ url: collector.url, batchSize: 1, maxBuffer: 1, flushIntervalMs: 0, timeoutMs: 200 });
      const { metrics, dropped } = emf();
      const lambda = createAuditLogger(undefined, { platform: "lambda", sink, metrics });
      const worker = createAuditLogger(undefined, { platform: "worker", sink, metrics });
      for (let i = 0; i < 4; i++) lambda.log(allowed);
      worker.log(allowed);
      // the late batch times out at the flush: 4 refused at the door + 1 in flight
      await worker.flush();
      await lambda.flush();
      await metrics.flush();
      expect(sink.dropped).toBe(5);
      expect(dropped()).toBe(5);
    } finally {
      await collector.stop();
    }
  });

  it("counts what a closed stdout loses, and not what sampling skipped", async () => {
    let open = true;
    const sink = stdoutSink({ writeLine: () => {
      if (!open) throw new Error("EPIPE");
    } });
    const { metrics, docs, dropped } = emf();
    const sampled = createAuditLogger({ allowSampleRate: 0.5 }, { platform: "lambda", sink, metrics, random: () => 0.9 });
    for (let i = 0; i < 3; i++) sampled.log(allowed);
    await sampled.flush();
    await metrics.flush();
    expect(dropped()).toBe(0);
    expect(docs.find((d) => d.Decisions !== undefined)).toMatchObject({ Decisions: 3 });
    open = false;
    sampled.log({ ...allowed, decision: "deny", reason: "expired" });
    sampled.log({ ...allowed, decision: "deny", reason: "expired" });
    await sampled.flush();
    await metrics.flush();
    expect(sink.dropped).toBe(2);
    expect(dropped()).toBe(2);
  });
});
