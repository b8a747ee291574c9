// The forward-auth server's OTLP/HTTP metrics export. OpenTelemetry's SDK is loaded here, and this
// module is imported only when an export is configured, so a server without one never loads it.
// Nothing is recorded through OpenTelemetry instruments: a producer reads the same cumulative table
// the Prometheus registry reads at scrape time, once per export, so a request pays nothing more.
import type { DataPoint, Histogram, MetricData, MetricProducer, PushMetricExporter, ResourceMetrics } from "@opentelemetry/sdk-metrics";
import { ConfigError } from "../../shared/errors.ts";
import { LATENCY_BUCKETS_MS, REVOCATION_AGE_BUCKETS_S } from "../../shared/metrics/buckets.ts";
import { disagreements, type PrometheusMetrics } from "./metrics.ts";
import type { OtlpSettings } from "./otlp-settings.ts";

/** A running export. */
export interface OtlpExport {
  /** Exports now what was counted so far. */
  flush(): Promise<void>;
  /** Exports a last time and stops; later calls do nothing. */
  shutdown(): Promise<void>;
}

/** The packages a user installs to turn the export on (optional peers of the package). */
export const OTLP_PACKAGES = ["@opentelemetry/sdk-metrics", "@opentelemetry/exporter-metrics-otlp-http", "@opentelemetry/resources"] as const;

type SdkModule = typeof import("@opentelemetry/sdk-metrics");

/** What the export reads: the Prometheus registry's own counts, so the two never disagree. */
export type OtlpSource = Pick<PrometheusMetrics, "table" | "auditLinesDropped" | "canaryRollbacks">;

/**
 * Starts pushing `source` (the Prometheus registry's table and audit drop count) to `settings.endpoint`
 * every `settings.intervalMs`, as cumulative sums and a histogram whose names and attributes are the
 * Prometheus metrics' (so alert rules and dashboards written for `/metrics` read a collector's copy
 * alike). Throws `ConfigError` when the OpenTelemetry packages are not installed.
 */
export async function startOtlpExport(source: OtlpSource, settings: OtlpSettings, now: () => number = Date.now): Promise<OtlpExport> {
  let sdk: SdkModule;
  let exporterModule: typeof import("@opentelemetry/exporter-metrics-otlp-http");
  let resources: typeof import("@opentelemetry/resources");
  try {
    [sdk, exporterModule, resources] = await Promise.all([import("@opentelemetry/sdk-metrics"), import("@opentelemetry/exporter-metrics-otlp-http"), import("@opentelemetry/resources")]);
  } catch {
    throw new ConfigError("metrics.otlp", `expected the packages ${OTLP_PACKAGES.map((p) => `\`${p}\``).join(", ")} installed (npm install ${OTLP_PACKAGES.join(" ")})`);
  }
  const resource = resources.defaultResource().merge(resources.resourceFromAttributes({ "service.name": settings.serviceName }));
  const exporter = reportFailures(new exporterModule.OTLPMetricExporter({ url: settings.endpoint, headers: { ...settings.headers }, timeoutMillis: settings.timeoutMs }), settings.endpoint);
  const reader = new sdk.PeriodicExportingMetricReader({
    exporter,
    exportIntervalMillis: settings.intervalMs,
    exportTimeoutMillis: settings.timeoutMs,
    metricProducers: [tableProducer(sdk, source, resource, now)],
  });
  // The provider has no instruments; it binds the reader and gives the export its resource
  const provider = new sdk.MeterProvider({ resource, readers: [reader] });
  let stopped: Promise<void> | null = null;
  return {
    flush: () => provider.forceFlush().catch(() => {}),
    shutdown: () => (stopped ??= provider.shutdown().catch(() => {})),
  };
}

const SCOPE = { name: "gatehouse" };

/** A producer of the table's counts, built at each collection (the table is never drained: cumulative). */
function tableProducer(sdk: SdkModule, source: OtlpSource, resource: ResourceMetrics["resource"], now: () => number): MetricProducer {
  const startTime = hrTime(now());
  const boundsS = LATENCY_BUCKETS_MS.map((ms) => ms / 1000);
  const ageBoundsS = [...REVOCATION_AGE_BUCKETS_S];
  const CUMULATIVE = sdk.AggregationTemporality.CUMULATIVE;
  // @opentelemetry/api's ValueType values, written out so that the API package need not be imported here
  const INT = 0;
  const DOUBLE = 1;

  return {
    collect: async function collectTable() {
      const endTime = hrTime(now());
      const point = <T>(attributes: Record<string, string>, value: T): DataPoint<T> => ({ startTime, endTime, attributes, value });
      const decisions: DataPoint<number>[] = [];
      const breakGlass = new Map<string, { attributes: Record<string, string>; count: number }>();
      const candidateRequests: DataPoint<number>[] = [];
      const candidateDisagreements: DataPoint<number>[] = [];
      const latency = new Map<string, { attributes: Record<string, string>; counts: number[]; sum: number; count: number; max: number }>();
      const versions = new Set<string>();
      let tokenHits = 0, tokenMisses = 0, revocationHits = 0, revocationMisses = 0;
      // Summed over every series, as the Prometheus histogram is (it has no labels)
      const ages = { counts: new Array<number>(ageBoundsS.length + 1).fill(0), sum: 0, count: 0, max: 0 };
      for (const s of source.table.series()) {
        const l = s.labels;
        versions.add(l.policyVersion);
        if (s.count === 0) continue;
        decisions.push(point({ route: l.route, decision: l.decision, reason: l.reason, platform: l.platform, policy_version: l.policyVersion }, s.count));
        if (s.breakGlass > 0) {
          // Summed by route and decision, as the Prometheus counter is
          const key = l.route + "\u0000" + l.decision;
          const found = breakGlass.get(key);
          if (found) found.count += s.breakGlass;
          else breakGlass.set(key, { attributes: { route: l.route, decision: l.decision }, count: s.breakGlass });
        }
        // By route, decision and mode (and direction), as the Prometheus counters are; a route and decision may
        // span several series (reasons, versions), so the points are summed by their attributes below
        if (s.canaryRequests > 0) candidateRequests.push(point({ route: l.route, decision: l.decision, mode: "canary" }, s.canaryRequests));
        if (s.shadowRequests > 0) candidateRequests.push(point({ route: l.route, decision: l.decision, mode: "shadow" }, s.shadowRequests));
        for (const [mode, direction, count] of disagreements(s)) if (count > 0) candidateDisagreements.push(point({ route: l.route, decision: l.decision, mode, direction }, count));
        // Summed by route, decision and platform, as the Prometheus histogram is
        const key = l.route + "\u0000" + l.decision + "\u0000" + l.platform;
        let group = latency.get(key);
        if (group === undefined) latency.set(key, (group = { attributes: { route: l.route, decision: l.decision, platform: l.platform }, counts: new Array<number>(boundsS.length + 1).fill(0), sum: 0, count: 0, max: 0 }));
        for (let i = 0; i < group.counts.length; i++) group.counts[i] += s.buckets[i];
        group.sum += s.sumMs / 1000;
        group.count += s.count;
        group.max = Math.max(group.max, s.maxMs / 1000);
        tokenHits += s.tokenCacheHits;
        tokenMisses += s.tokenCacheMisses;
        revocationHits += s.revocationCacheHits;
        revocationMisses += s.revocationCacheMisses;
        if (s.revocationAges > 0) {
          for (let i = 0; i < ages.counts.length; i++) ages.counts[i] += s.revocationAgeBuckets[i];
          ages.sum += s.revocationAgeSumMs / 1000;
          ages.count += s.revocationAges;
          ages.max = Math.max(ages.max, s.revocationAgeMaxMs / 1000);
        }
      }
      const sum = (name: string, description: string, unit: string, dataPoints: DataPoint<number>[]): MetricData => ({
        descriptor: { name, description, unit, valueType: INT }, aggregationTemporality: CUMULATIVE, dataPointType: sdk.DataPointType.SUM, isMonotonic: true, dataPoints,
      });
      const cache = (hits: number, misses: number) => (hits + misses > 0 ? [point({ result: "hit" }, hits), point({ result: "miss" }, misses)] : []);
      const histogramPoints: DataPoint<Histogram>[] = [...latency.values()].map((g) => point(g.attributes, { buckets: { boundaries: boundsS, counts: g.counts }, sum: g.sum, count: g.count, max: g.max }));
      const metrics: MetricData[] = [
        sum("gatehouse_decisions_total", "Authorization decisions, by route name, decision and reason code", "{decision}", decisions),
        { descriptor: { name: "gatehouse_decision_duration_seconds", description: "Time from request to decision, in seconds", unit: "s", valueType: DOUBLE }, aggregationTemporality: CUMULATIVE, dataPointType: sdk.DataPointType.HISTOGRAM, dataPoints: histogramPoints },
        sum("gatehouse_break_glass_decisions_total", "Decisions about break-glass tokens; alert on any", "{decision}", [...breakGlass.values()].map((g) => point(g.attributes, g.count))),
        sum("gatehouse_token_cache_requests_total", "Verified-token cache lookups of requests that carried a token", "{request}", cache(tokenHits, tokenMisses)),
        sum("gatehouse_revocation_cache_requests_total", "Revocation answers, from the cache or the store", "{request}", cache(revocationHits, revocationMisses)),
        {
          descriptor: { name: "gatehouse_revocation_answer_age_seconds", description: "Age of the revocation answer a decision relied on, in seconds: 0 read from the store for the request, else the cached answer's age", unit: "s", valueType: DOUBLE },
          aggregationTemporality: CUMULATIVE, dataPointType: sdk.DataPointType.HISTOGRAM,
          dataPoints: ages.count > 0 ? [point({}, { buckets: { boundaries: ageBoundsS, counts: ages.counts }, sum: ages.sum, count: ages.count, max: ages.max })] : [],
        },
        sum("gatehouse_canary_requests_total", "Decisions where a candidate policy set was evaluated: mode canary where it decided, shadow where it was only evaluated", "{decision}", merged(candidateRequests)),
        sum("gatehouse_canary_disagreements_total", "Of those, decisions where the candidate's decision differs from the stable set's, by direction from the stable decision to the candidate's", "{decision}", merged(candidateDisagreements)),
        sum("gatehouse_canary_rollbacks_total", "Canary rollbacks this process performed, by the rule that fired", "{rollback}", [...source.canaryRollbacks].map(([rule, count]) => point({ rule }, count))),
        sum("gatehouse_audit_lines_dropped_total", "Audit lines lost after sampling kept them: sink buffer full, batch refused or late, stream closed, or not written", "{line}", [point({}, source.auditLinesDropped)]),
        { descriptor: { name: "gatehouse_policy_version_info", description: "The enforced policy bundle's version (1 for the version in force)", unit: "1", valueType: INT }, aggregationTemporality: CUMULATIVE, dataPointType: sdk.DataPointType.GAUGE, dataPoints: [...versions].map((v) => point({ policy_version: v }, 1)) },
      ];
      return { resourceMetrics: { resource, scopeMetrics: [{ scope: SCOPE, metrics: metrics.filter((m) => m.dataPoints.length > 0) }] }, errors: [] };
    },
  };
}

// Points with equal attributes summed into one (a data point stream is one attribute set)
function merged(points: DataPoint<number>[]): DataPoint<number>[] {
  const byKey = new Map<string, DataPoint<number>>();
  for (const p of points) {
    const key = JSON.stringify(p.attributes);
    const found = byKey.get(key);
    byKey.set(key, found === undefined ? p : { ...found, value: found.value + p.value });
  }
  return [...byKey.values()];
}

/** OpenTelemetry's `[seconds, nanoseconds]` time of an epoch ms. */
function hrTime(ms: number): [number, number] {
  const seconds = Math.floor(ms / 1000);
  return [seconds, Math.round((ms - seconds * 1000) * 1e6)];
}

/** The exporter, with a failed export said once on stderr per failure streak (OpenTelemetry's own log is silent by default). */
function reportFailures(exporter: PushMetricExporter, endpoint: string): PushMetricExporter {
  let failing = false;
  const origin = safeOrigin(endpoint);
  return {
    export(metrics, done) {
      exporter.export(metrics, (result) => {
        // ExportResultCode.SUCCESS is 0
        if (result.code !== 0 && !failing) console.error(`gatehouse forward-auth: otlp metrics export to \`${origin}\` failed: ${result.error?.message ?? "unknown error"}`);
        failing = result.code !== 0;
        done(result);
      });
    },
    forceFlush: () => exporter.forceFlush(),
    shutdown: () => exporter.shutdown(),
    ...(exporter.selectAggregationTemporality ? { selectAggregationTemporality: exporter.selectAggregationTemporality.bind(exporter) } : {}),
    ...(exporter.selectAggregation ? { selectAggregation: exporter.selectAggregation.bind(exporter) } : {}),
  };
}

// The endpoint's origin only: a URL may carry credentials or a key in its path or query
function safeOrigin(endpoint: string): string {
  try {
    return new URL(endpoint).origin;
  } catch {
    return "endpoint";
  }
}
