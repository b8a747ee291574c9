import type { DecisionMetrics } from "./observer.ts";
import { isErrorReason } from "./error-reasons.ts";
import { createMetricsTable, MAX_SAMPLES, resetSeries, type MetricSeries } from "./table.ts";

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
  const write = (series: readonly MetricSeries[]) => {
    const timestamp = now();
    for (const s of series) {
      try {
        options.writeLine(emfDocument(s, namespace, timestamp));
      } catch {
        // a closed stdout loses metrics, never a decision
      }
    }
  };
  return {
    observe: function observeEmf(facts, platform, policyVersion) {
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
  return '{"_aws":{"Timestamp":' + String(timestamp) + ',"CloudWatchMetrics":[{"Namespace":' + JSON.stringify(namespace) + "," + DIRECTIVE_TAIL + "]}" +
    ',"Platform":' + JSON.stringify(labels.platform) + ',"Route":' + JSON.stringify(labels.route) + ',"Decision":' + JSON.stringify(labels.decision) +
    ',"Reason":' + JSON.stringify(labels.reason) + ',"PolicyVersion":' + JSON.stringify(labels.policyVersion) +
    ',"Decisions":' + String(series.count) + ',"Errors":' + String(isErrorReason(labels.reason) ? series.count : 0) + ',"Latency":[' + latency + "]" +
    ',"BreakGlass":' + String(series.breakGlass) + ',"TokenCacheHits":' + String(series.tokenCacheHits) + ',"TokenCacheMisses":' + String(series.tokenCacheMisses) +
    ',"RevocationCacheHits":' + String(series.revocationCacheHits) + ',"RevocationCacheMisses":' + String(series.revocationCacheMisses) + "}";
}

// `"Dimensions":[...],"Metrics":[...]}` of the one metric directive
const DIRECTIVE_TAIL = JSON.stringify({ Dimensions: DIMENSIONS, Metrics: METRICS }).slice(1);
