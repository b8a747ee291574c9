import { systemClock, type Clock } from "../clock/index.ts";
import { buildAuditRecord, type AuditContext } from "./build-record.ts";
import { resolveAuditConfig, type AuditConfig } from "./configure.ts";
import type { DecisionFacts } from "./facts.ts";
import { serializeAuditLine } from "./serialize-line.ts";
import type { AuditPlatform, AuditRecord } from "./record.ts";
import { NOTHING_TO_FLUSH, type AuditSink } from "./sink.ts";
import type { DecisionMetrics } from "../metrics/observer.ts";
import { stdoutSink } from "./stdout-sink.ts";
import { traceIdFrom } from "./trace-id.ts";

/** What the adapter supplies to the audit logger. */
export interface AuditLoggerDeps {
  /** Which adapter this is; written as `platform`. */
  readonly platform: AuditPlatform;
  /** Where lines go; default `stdoutSink()`. */
  readonly sink?: AuditSink;
  /** Time source for `time`; default the system clock. */
  readonly clock?: Clock;
  /** Uniform in [0, 1), for allow-line sampling; default `Math.random`. */
  readonly random?: () => number;
  /** Makes `decision_id` when the facts carry none; default `crypto.randomUUID`. */
  readonly randomUUID?: () => string;
  /** Version of the enforced policy bundle; default `null`. */
  readonly policyVersion?: string | null;
  /** Version of the candidate bundle in shadow mode; default `null`. */
  readonly shadowPolicyVersion?: string | null;
  /** Read per line instead of `policyVersion`, when a published bundle can replace the set. */
  readonly policyVersionOf?: () => string | null;
  /** Counts every decision from the same facts as its line, before sampling; default none. */
  readonly metrics?: DecisionMetrics | null;
}

/** Writes one audit line per decision. Made once per function instance by `createAuditLogger`. */
export interface AuditLogger {
  /**
   * Builds the line for a decision and hands it to the sink, unless it is an allow line that
   * sampling skips. A sink with `writeLine` gets the text, serialised straight from the facts, and
   * `log` returns `undefined`; any other sink gets the record, which `log` returns. Never throws: a
   * broken sink or an unexpected fact is counted in `failures` and the decision stands.
   */
  log(facts: DecisionFacts): AuditRecord | undefined;
  /** Builds the line without sampling or writing it (for tests and custom sinks). */
  build(facts: DecisionFacts): AuditRecord;
  /** Flushes the sink; never rejects. Workers: `ctx.waitUntil(logger.flush())`; Lambda: await it. */
  flush(): Promise<void>;
  /** The sink lines go to. */
  readonly sink: AuditSink;
  /** Lines lost to an exception while building or writing (should stay 0). */
  readonly failures: number;
}

const randomUUID = () => crypto.randomUUID();

/**
 * Checks `config` (throwing a `ConfigError` on the first bad field) and returns the logger.
 * Call once at start; the hash key and defaults are prepared here, not per request.
 */
export function createAuditLogger(config: AuditConfig | undefined, deps: AuditLoggerDeps): AuditLogger {
  const resolved = resolveAuditConfig(config);
  const sink = deps.sink ?? stdoutSink();
  const clock = deps.clock ?? systemClock;
  const random = deps.random ?? Math.random;
  const makeId = deps.randomUUID ?? randomUUID;
  const context: AuditContext = {
    config: resolved,
    platform: deps.platform,
    policyVersion: deps.policyVersion ?? null,
    shadowPolicyVersion: deps.shadowPolicyVersion ?? null,
  };
  // A swapped-in bundle changes the enforced version; each line reads the one that decided
  if (deps.policyVersionOf !== undefined) Object.defineProperty(context, "policyVersion", { get: deps.policyVersionOf, enumerable: true });
  const rate = resolved.allowSampleRate;
  const metrics = deps.metrics ?? null;
  const policyVersion = context.policyVersion;
  let reportedDrops = 0;
  let failures = 0;
  // Lines lost, for the metrics: the sink's count as last reported, and lines this logger failed to write
  let sinkDropsCounted = 0;
  let linesLost = 0;
  const lossSource = {};
  const countDrops = metrics === null || metrics.auditDropped === undefined ? null : function countDrops(): void {
    try {
      const dropped = sink.dropped;
      if (typeof dropped === "number" && dropped > sinkDropsCounted) metrics.auditDropped!(sink, (sinkDropsCounted = dropped));
    } catch {
      failures++;
    }
  };

  function build(facts: DecisionFacts, sampleRate = 1): AuditRecord {
    const id = typeof facts.decisionId === "string" && facts.decisionId.length > 0 ? "" : makeId();
    return buildAuditRecord(facts, context, clock.now(), id, sampleRate);
  }

  return {
    sink,
    get failures() {
      return failures;
    },
    build: function buildAuditLine(facts) {
      return build(facts);
    },
    log: function logDecision(facts) {
      // Metrics see every decision, sampled or not; a broken emitter costs its count, not the line
      let traceId: string | null | undefined; // Read once, for the metrics and the line
      if (metrics !== null) {
        try {
          if (countDrops !== null) countDrops(); // drops since the last decision (an http batch that failed after it)
          traceId = facts.traceId !== undefined ? facts.traceId : traceIdFrom(facts.request.headers, facts.request.platformRequestId);
          metrics.observe(facts, deps.platform, policyVersion, traceId);
        } catch {
          failures++;
        }
      }
      try {
        let sampleRate = 1;
        // Only clean allow lines are sampled: denies, policy errors and shadow disagreements are the evidence
        if (rate < 1 && facts.decision === "allow" && facts.breakGlass !== true && !(facts.policy && facts.policy.errors.length > 0)) {
          const disagrees = facts.shadow != null && facts.shadow.decision !== (facts.canary?.stable.decision ?? facts.policy?.decision ?? facts.decision); // Canary lines compare with the stable set
          if (!disagrees) {
            if (random() >= rate) return undefined;
            sampleRate = rate;
          }
        }
        let newDrops = 0;
        const dropped = sink.dropped;
        if (typeof dropped === "number" && dropped > reportedDrops) {
          newDrops = dropped - reportedDrops;
          reportedDrops = dropped;
        }
        const id = typeof facts.decisionId === "string" && facts.decisionId.length > 0 ? "" : makeId();
        if (sink.writeLine !== undefined) {
          sink.writeLine(serializeAuditLine(facts, context, clock.now(), id, sampleRate, newDrops, traceId));
          return undefined;
        }
        const record = buildAuditRecord(facts, context, clock.now(), id, sampleRate);
        if (newDrops > 0) record.audit_dropped = newDrops;
        sink.write(record);
        return record;
      } catch {
        failures++;
        if (countDrops !== null) {
          try {
            metrics!.auditDropped!(lossSource, ++linesLost);
          } catch {
            // the line is lost either way; its count with it
          }
        }
        return undefined;
      }
    },
    flush: function flushAudit() {
      // Counted before the flush (a stdout write that failed) and after it (a batch the collector refused)
      if (countDrops !== null) countDrops();
      try {
        const pending = sink.flush();
        // Nothing was buffered, so nothing can be dropped after this: passed on as it is
        if (pending === NOTHING_TO_FLUSH) return NOTHING_TO_FLUSH;
        const flushed = pending.catch(() => {});
        return countDrops === null ? flushed : flushed.then(countDrops);
      } catch {
        return Promise.resolve();
      }
    },
  };
}
