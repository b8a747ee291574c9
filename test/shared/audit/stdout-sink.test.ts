import { describe, expect, it } from "vitest";
import { frozenClock } from "../../../shared/clock/index.ts";
import { createAuditLogger, memorySink, stdoutSink, type AuditRecord } from "../../../shared/audit/index.ts";
import { auditLineErrors } from "../../harness/index.ts";
import { NOW_MS, decisionPaths } from "./fixtures.ts";

describe("stdout sink", () => {
  it("writes one JSON line per record through console.log by default", async () => {
    const seen: unknown[][] = [];
    const original = console.log;
    console.log = (...args: unknown[]) => void seen.push(args);
    try {
      const logger = createAuditLogger({}, { platform: "worker", sink: stdoutSink(), clock: frozenClock(NOW_MS) });
      logger.log(decisionPaths().deny_no_route);
      await logger.flush();
    } finally {
      console.log = original;
    }
    expect(seen).toHaveLength(1);
    expect(seen[0]).toHaveLength(1);
    const line = seen[0][0] as string;
    expect(line).not.toContain("\n");
    expect(auditLineErrors(line)).toEqual([]);
  });

  it("uses a given line writer", () => {
    const lines: string[] = [];
    const sink = stdoutSink({ writeLine: (l) => void lines.push(l) });
    createAuditLogger({}, { platform: "lambda", sink, clock: frozenClock(NOW_MS) }).log(decisionPaths().deny_revoked);
    expect(JSON.parse(lines[0])).toMatchObject({ platform: "lambda", decision_reason: "revoked" });
  });

  it("counts a line it cannot write instead of throwing", () => {
    const sink = stdoutSink({
      writeLine: () => {
        throw new Error("EPIPE");
      },
    });
    expect(() => sink.write({} as AuditRecord)).not.toThrow();
    expect(sink.dropped).toBe(1);
  });

  it("counts a record JSON cannot serialise (a bigint claim) instead of throwing", () => {
    const sink = stdoutSink({ writeLine: () => {} });
    sink.write({ claims: { n: 1n } } as unknown as AuditRecord);
    expect(sink.dropped).toBe(1);
  });
});

describe("memory sink", () => {
  it("keeps records and their lines in order, and clears", () => {
    const sink = memorySink();
    const logger = createAuditLogger({}, { platform: "node", sink, clock: frozenClock(NOW_MS) });
    logger.log(decisionPaths().deny_no_route);
    logger.log(decisionPaths().allow_public_route);
    expect(sink.records.map((r) => r.decision)).toEqual(["deny", "allow"]);
    expect(sink.lines.map((l) => JSON.parse(l).decision)).toEqual(["deny", "allow"]);
    sink.clear();
    expect(sink.records).toHaveLength(0);
    expect(sink.lines).toHaveLength(0);
  });
});
