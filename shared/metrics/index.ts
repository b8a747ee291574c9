export type { DecisionMetrics, DecisionLabels } from "./observer.ts";
export { routeLabel } from "./observer.ts";
export { LATENCY_BUCKETS_MS, bucketIndex } from "./buckets.ts";
export { createMetricsTable, MAX_SAMPLES, type MetricsTable, type MetricSeries } from "./table.ts";
export { emfMetrics, emfDocument, type EmfMetricsOptions } from "./emf.ts";
export { analyticsEngineMetrics, ANALYTICS_ENGINE_COLUMNS, type AnalyticsEngineDataset } from "./analytics-engine.ts";
export { isErrorReason, ERROR_REASON_CODES } from "./error-reasons.ts";
export { noMetrics } from "./none.ts";
export { resolveMetricsConfig, type MetricsConfig, type ResolvedMetricsConfig } from "./config.ts";
