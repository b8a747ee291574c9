import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { frozenClock } from "../../../shared/clock/index.ts";
import { ConfigError } from "../../../shared/errors.ts";
import { createAuditLogger, httpBatchSink, type AuditLogger, type HttpBatchSink } from "../../../shared/audit/index.ts";
import { auditLineErrors, freePort, startAuditCollector, type AuditCollector } from "../../harness/index.ts";
import { NOW_MS, decisionPaths } from "./fixtures.ts";

let collector: AuditCollector;
beforeEach(async () => {
  collector = await startAuditCollector();
});
afterEach(() => collector.stop());

function loggerWith(sink: HttpBatchSink): AuditLogger {
  return createAuditLogger({}, { platform: "node", sink, clock: frozenClock(NOW_MS) });
}

function logMany(logger: AuditLogger, n: number): void {
  const paths = Object.values(decisionPaths());
  for (let i = 0; i < n; i++) logger.log(paths[i % paths.length]);
}

describe("http batch sink: delivery to a real collector", () => {
  it("posts full batches as NDJSON and the rest on flush", async () => {
    const sink = httpBatchSink({ url: collector.url, batchSize: 3, flushIntervalMs: 0 });
    const logger = loggerWith(sink);
    logMany(logger, 7);
    await collector.waitForBatches(2);
    expect(collector.received).toBe(2);
    await logger.flush();
    expect(collector.batches.map((b) => b.lines.length).sort()).toEqual([1, 3, 3]);
    expect(collector.batches.every((b) => b.contentType === "application/x-ndjson" && b.body.endsWith("\n"))).toBe(true);
    const records = collector.records();
    expect(records).toHaveLength(7);
    for (const record of records) expect(auditLineErrors(record)).toEqual([]);
    expect(sink.sent).toBe(7);
    expect(sink.dropped).toBe(0);
  });

  it("sends a partial batch after flushIntervalMs without a flush call", async () => {
    const sink = httpBatchSink({ url: collector.url, batchSize: 100, flushIntervalMs: 50 });
    logMany(loggerWith(sink), 2);
    expect(collector.received).toBe(0);
    await collector.waitForBatches(1, 3000);
    expect(collector.received).toBe(1);
    await sink.close();
  });

  it("sends the configured headers, with its own content type", async () => {
    const sink = httpBatchSink({ url: collector.url, headers: { authorization: "Bearer collector-key", "content-type": "text/plain" } });
    logMany(loggerWith(sink), 1);
    await sink.flush();
    expect(collector.batches[0].headers.authorization).toBe("Bearer collector-key");
    expect(collector.batches[0].contentType).toBe("application/x-ndjson");
  });

  it("waits for sends already in flight when flushed", async () => {
    collector.setDelay(150);
    const sink = httpBatchSink({ url: collector.url, batchSize: 2, flushIntervalMs: 0 });
    logMany(loggerWith(sink), 2);
    await sink.flush();
    expect(collector.batches).toHaveLength(1);
    expect(sink.sent).toBe(2);
  });
});

describe("http batch sink: collector down or slow", () => {
  it("counts a batch to a port nobody listens on as dropped, and flush still resolves", async () => {
    const sink = httpBatchSink({ url: `http://127.0.0.1:${await freePort()}/ingest`, batchSize: 10, flushIntervalMs: 0 });
    logMany(loggerWith(sink), 4);
    await expect(sink.flush()).resolves.toBeUndefined();
    expect(sink).toMatchObject({ dropped: 4, sent: 0, failedBatches: 1, lastFailure: "network" });
  });

  it("gives up on a collector that does not answer within timeoutMs", async () => {
    collector.setMode("hang");
    const sink = httpBatchSink({ url: collector.url, timeoutMs: 200, flushIntervalMs: 0 });
    logMany(loggerWith(sink), 3);
    const started = performance.now();
    await sink.flush();
    const waited = performance.now() - started;
    expect(waited).toBeGreaterThanOrEqual(150);
    expect(waited).toBeLessThan(2000);
    expect(sink).toMatchObject({ dropped: 3, failedBatches: 1, lastFailure: "timeout" });
  });

  it("delivers through a slow collector without ever making write() wait", async () => {
    collector.setDelay(300);
    const sink = httpBatchSink({ url: collector.url, batchSize: 1, flushIntervalMs: 0, timeoutMs: 5000 });
    const logger = loggerWith(sink);
    const started = performance.now();
    logMany(logger, 5);
    const writing = performance.now() - started;
    expect(writing).toBeLessThan(100);
    expect(sink.sent).toBe(0);
    await logger.flush();
    expect(sink.sent).toBe(5);
  });

  it("counts a non-2xx answer as a failed batch", async () => {
    collector.setMode("error");
    const sink = httpBatchSink({ url: collector.url, flushIntervalMs: 0 });
    logMany(loggerWith(sink), 2);
    await sink.flush();
    expect(sink).toMatchObject({ dropped: 2, sent: 0, failedBatches: 1, lastFailure: "status_500" });
  });

  it("drops lines beyond maxBuffer at once instead of blocking", async () => {
    collector.setMode("hang");
    const sink = httpBatchSink({ url: collector.url, batchSize: 5, maxBuffer: 5, timeoutMs: 300, flushIntervalMs: 0 });
    logMany(loggerWith(sink), 8);
    expect(sink.dropped).toBe(3);
    await sink.flush();
    expect(sink.dropped).toBe(8);
  });

  it("reports dropped lines in a later line once the collector is back", async () => {
    collector.setMode("error");
    const sink = httpBatchSink({ url: collector.url, flushIntervalMs: 0 });
    const logger = loggerWith(sink);
    logMany(logger, 2);
    await logger.flush();
    collector.setMode("ok");
    logMany(logger, 2);
    await logger.flush();
    const records = collector.records() as Array<{ audit_dropped?: number }>;
    expect(records.map((r) => r.audit_dropped)).toEqual([2, undefined]);
    for (const record of records) expect(auditLineErrors(record)).toEqual([]);
  });

  it("drops and counts writes after close()", async () => {
    const sink = httpBatchSink({ url: collector.url, flushIntervalMs: 0 });
    await sink.close();
    logMany(loggerWith(sink), 1);
    expect(sink.dropped).toBe(1);
  });

  it("never throws from a fetch that throws synchronously", async () => {
    const sink = httpBatchSink({
      url: collector.url,
      batchSize: 1,
      fetch: (() => {
        throw new TypeError("boom");
      }) as unknown as typeof fetch,
    });
    expect(() => logMany(loggerWith(sink), 1)).not.toThrow();
    await sink.flush();
    expect(sink).toMatchObject({ dropped: 1, lastFailure: "network" });
  });
});

describe("http batch sink: configuration", () => {
  const cases: Array<[string, Record<string, unknown>, string]> = [
    ["a url that does not parse", { url: "collector" }, "audit.http.url"],
    ["a url that is not http", { url: "ftp://logs.example.test/" }, "audit.http.url"],
    ["a zero batch size", { url: "http://x.test/", batchSize: 0 }, "audit.http.batchSize"],
    ["a buffer smaller than a batch", { url: "http://x.test/", batchSize: 50, maxBuffer: 10 }, "audit.http.maxBuffer"],
    ["a zero timeout", { url: "http://x.test/", timeoutMs: 0 }, "audit.http.timeoutMs"],
    ["a negative interval", { url: "http://x.test/", flushIntervalMs: -1 }, "audit.http.flushIntervalMs"],
  ];
  for (const [title, options, field] of cases) {
    it(`rejects ${title}`, () => {
      let caught: unknown;
      try {
        httpBatchSink(options as never);
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(ConfigError);
      expect((caught as ConfigError).field).toBe(field);
    });
  }
});
