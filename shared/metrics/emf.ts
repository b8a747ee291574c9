import type { DecisionMetrics } from "./observer.ts";
import { isErrorReason } from "./error-reasons.ts";
import { createMetricsTable, MAX_SAMPLES, resetSeries, type MetricSeries } from "./table.ts";
import { droppedTally } from "./dropped.ts";

/** Options of `emfMetrics`. */
export interface EmfMetricsOptions {
  /** Writes one EMF document (one JSON object, no newline) to standard output; Lambda's log agent extracts it. */
  readonly writeLine: (line: string) => void;
  /** The CloudWatch namespace; default `Gatehouse`. */
  readonly namespace?: string;
  /** Epoch ms for `_aws.Timestamp`; default `Date.now`. Pass the authorizer's clock. */
  readonly now?: () => number;
}

// Dimension sets: per route and decision (deny rate by route), per reason (token failures by reason),
// per policy version (the version in force), and the platform alone (success rate, latency, SLOs)
const DIMENSIONS = [["Platform", "Route", "Decision"], ["Platform", "Reason"], ["Platform", "PolicyVersion"], ["Platform"]];
const METRICS = [
  { Name: "Decisions", Unit: "Count" },
  { Name: "Errors", Unit: "Count" },
  // Whole microseconds: short integers format fast, and a decision's resolution is about 1 µs
  { Name: "Latency", Unit: "Microseconds" },
  { Name: "BreakGlass", Unit: "Count" },
  { Name: "TokenCacheHits", Unit: "Count" },
  { Name: "TokenCacheMisses", Unit: "Count" },
  { Name: "RevocationCacheHits", Unit: "Count" },
  { Name: "RevocationCacheMisses", Unit: "Count" },
];
// Only in documents whose decisions rested on a revocation answer: a listed metric must have a value
const REVOCATION_AGE = { Name: "RevocationAge", Unit: "Milliseconds" };
// Only in documents whose decisions had a candidate policy set evaluated (a canary rollout or shadow
// mode), so a deployment without one writes the documents it wrote before
const CANDIDATE = [
  { Name: "CanaryRequests", Unit: "Count" },
  { Name: "CanaryDisagreements", Unit: "Count" },
  { Name: "ShadowRequests", Unit: "Count" },
  { Name: "ShadowDisagreements", Unit: "Count" },
];

/**
 * CloudWatch Embedded Metric Format (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html)
 * for the Lambda authorizer: decisions are aggregated in memory and `flush` (run by the handler after
 * each invocation) writes one document per label set seen. No API call and no wait: CloudWatch Logs
 * extracts the metrics from the function's log. A label set that reaches 100 latencies (EMF's limit
 * of values per metric) is written at once.
 */
export function emfMetrics(options: EmfMetricsOptions): DecisionMetrics {
  const table = createMetricsTable();
  const namespace = options.namespace ?? "Gatehouse";
  const now = options.now ?? Date.now;
  const dropped = droppedTally();
  let droppedWritten = 0;
  let rollbacks = 0;
  let rollbacksWritten = 0;
  let platformSeen = "lambda";
  const write = (series: readonly MetricSeries[]) => {
    const timestamp = now();
    for (const s of series) {
      try {
        options.writeLine(emfDocument(s, namespace, timestamp));
      } catch {
        // a closed stdout loses metrics, never a decision
      }
    }
    // Audit lines lost since the last batch, in a document of their own: they belong to no decision's labels
    const lost = dropped.total - droppedWritten;
    if (lost > 0) {
      droppedWritten = dropped.total;
      try {
        options.writeLine(emfDroppedDocument(lost, platformSeen, namespace, timestamp));
      } catch {
        // as above
      }
    }
    // Canary rollbacks likewise: a rollback is the isolate's, not one label set's
    if (rollbacks > rollbacksWritten) {
      const count = rollbacks - rollbacksWritten;
      rollbacksWritten = rollbacks;
      try {
        options.writeLine(emfRollbackDocument(count, platformSeen, namespace, timestamp));
      } catch {
        // as above
      }
    }
  };
  return {
    auditDropped: dropped.note,
    canaryRollback: function countRollback() {
      rollbacks++;
    },
    observe: function observeEmf(facts, platform, policyVersion) {
      platformSeen = platform;
      const series = table.add(facts, platform, policyVersion);
      // EMF takes 100 values per metric: a full label set is written now, the others wait for flush
      if (series.samples === MAX_SAMPLES) {
        write([series]);
        resetSeries(series);
      }
    },
    flush: function flushEmf() {
      write(table.drain());
      return Promise.resolve();
    },
  };
}

/** One EMF document for a series (its latency values are the first `samples`). */
export function emfDocument(series: MetricSeries, namespace: string, timestamp: number): string {
  const { labels } = series;
  let latency = "";
  for (let i = 0; i < series.samples; i++) latency += (i === 0 ? "" : ",") + String(Math.round(series.latencies[i] * 1000));
  // Assembled as text: the directive is the same for every document, and this runs once per label set and batch
  const aged = series.revocationAges > 0;
  const candidate = series.canaryRequests + series.shadowRequests > 0;
  return '{"_aws":{"Timestamp":' + String(timestamp) + ',"CloudWatchMetrics":[{"Namespace":' + JSON.stringify(namespace) + "," + DIRECTIVE_TAILS[(aged ? 1 : 0) + (candidate ? 2 : 0)] + "]}" +
    ',"Platform":' + JSON.stringify(labels.platform) + ',"Route":' + JSON.stringify(labels.route) + ',"Decision":' + JSON.stringify(labels.decision) +
    ',"Reason":' + JSON.stringify(labels.reason) + ',"PolicyVersion":' + JSON.stringify(labels.policyVersion) +
    ',"Decisions":' + String(series.count) + ',"Errors":' + String(isErrorReason(labels.reason) ? series.count : 0) + ',"Latency":[' + latency + "]" +
    ',"BreakGlass":' + String(series.breakGlass) + ',"TokenCacheHits":' + String(series.tokenCacheHits) + ',"TokenCacheMisses":' + String(series.tokenCacheMisses) +
    ',"RevocationCacheHits":' + String(series.revocationCacheHits) + ',"RevocationCacheMisses":' + String(series.revocationCacheMisses) +
    // The oldest answer of the batch: CloudWatch's Maximum over documents is the worst time to revoke seen
    (aged ? ',"RevocationAge":' + String(Math.round(series.revocationAgeMaxMs)) : "") +
    (candidate
      ? ',"CanaryRequests":' + String(series.canaryRequests) + ',"CanaryDisagreements":' + String(series.canaryAllowToDeny + series.canaryDenyToAllow) +
        ',"ShadowRequests":' + String(series.shadowRequests) + ',"ShadowDisagreements":' + String(series.shadowAllowToDeny + series.shadowDenyToAllow)
      : "") + "}";
}

/** The EMF document counting `count` canary rollbacks this isolate performed (`CanaryRollbacks`, dimension `Platform`). */
export function emfRollbackDocument(count: number, platform: string, namespace: string, timestamp: number): string {
  return '{"_aws":{"Timestamp":' + String(timestamp) + ',"CloudWatchMetrics":[{"Namespace":' + JSON.stringify(namespace) + "," + ROLLBACK_DIRECTIVE_TAIL + "]}" +
    ',"Platform":' + JSON.stringify(platform) + ',"CanaryRollbacks":' + String(count) + "}";
}

/** The EMF document counting `lines` audit lines lost (`AuditLinesDropped`, dimension `Platform`). */
export function emfDroppedDocument(lines: number, platform: string, namespace: string, timestamp: number): string {
  return '{"_aws":{"Timestamp":' + String(timestamp) + ',"CloudWatchMetrics":[{"Namespace":' + JSON.stringify(namespace) + "," + DROPPED_DIRECTIVE_TAIL + "]}" +
    ',"Platform":' + JSON.stringify(platform) + ',"AuditLinesDropped":' + String(lines) + "}";
}

// `"Dimensions":[...],"Metrics":[...]}` of the metric directive, indexed by (revocation age listed: 1) + (candidate metrics listed: 2)
const DIRECTIVE_TAILS = [[], [REVOCATION_AGE], CANDIDATE, [REVOCATION_AGE, ...CANDIDATE]].map((extra) => JSON.stringify({ Dimensions: DIMENSIONS, Metrics: [...METRICS, ...extra] }).slice(1));
const ROLLBACK_DIRECTIVE_TAIL = JSON.stringify({ Dimensions: [["Platform"]], Metrics: [{ Name: "CanaryRollbacks", Unit: "Count" }] }).slice(1);
const DROPPED_DIRECTIVE_TAIL = JSON.stringify({ Dimensions: [["Platform"]], Metrics: [{ Name: "AuditLinesDropped", Unit: "Count" }] }).slice(1);
