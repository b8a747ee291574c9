// The decision-latency histogram for the forward-auth server's registry, kept off prom-client's
// per-observation path. Bucket counts live in the shared metrics table (one series per label set);
// this module only remembers, per series and bucket, the latest trace id as the bucket's exemplar,
// and hands prom-client's registry the finished histogram when it is scraped.
import type { Registry, RegistryContentType } from "prom-client";
import { bucketIndex, LATENCY_BUCKETS_MS } from "../../shared/metrics/buckets.ts";
import type { MetricSeries, MetricsTable } from "../../shared/metrics/table.ts";

// prom-client refuses an exemplar label set longer than 128 characters ("trace_id" + value)
const MAX_EXEMPLAR_ID = 128 - "trace_id".length;

/** The latest decision of one series that fell in each bucket; arrays are filled in place. */
interface SeriesExemplars {
  readonly traceIds: (string | null)[];
  readonly valuesMs: Float64Array;
  readonly timesMs: Float64Array;
  /** Observation order, to pick the latest when series are summed (several may share a millisecond). */
  readonly order: Float64Array;
}

export interface LatencyHistogram {
  /** Remembers the trace id of a decision `table.add` just counted in `series` (allocates nothing once the series is known). */
  exemplar(series: MetricSeries, ms: number, traceId: string | null | undefined): void;
}

/**
 * Registers `gatehouse_decision_duration_seconds` in `registry` as a histogram whose values are read
 * from `table` at scrape time: series are summed by route, decision and platform (the table also
 * splits by reason and policy version), buckets in seconds, `+Inf` = count. `now` stamps exemplars.
 */
export function registerLatencyHistogram(registry: Registry<RegistryContentType>, table: MetricsTable, now: () => number): LatencyHistogram {
  const name = "gatehouse_decision_duration_seconds";
  const boundsS = LATENCY_BUCKETS_MS.map((ms) => ms / 1000);
  const slots = LATENCY_BUCKETS_MS.length + 1;
  const bySeries = new Map<MetricSeries, SeriesExemplars>();
  // Steady traffic repeats one series: remember the last one's slots and skip the map
  let lastSeries: MetricSeries | undefined;
  let lastExemplars: SeriesExemplars | undefined;
  let observed = 0;

  const metric = {
    name,
    help: "Time from request to decision, in seconds",
    type: "histogram",
    aggregator: "sum",
    labelNames: ["route", "decision", "platform"],
    reset() {
      // counts belong to the table, which a scrape never resets
    },
    get: async () => ({ name, help: metric.help, type: "histogram", aggregator: "sum", values: exportValues() }),
  };
  registry.registerMetric(metric as never);

  function exportValues() {
    // One group per (route, decision, platform), summed over the table's series in it
    const groups = new Map<string, { labels: Record<string, string>; buckets: Float64Array; sumMs: number; count: number; exemplars: (ExemplarOut | null)[]; order: Float64Array }>();
    for (const s of table.series()) {
      if (s.count === 0) continue;
      const key = s.labels.route + "\u0000" + s.labels.decision + "\u0000" + s.labels.platform;
      let group = groups.get(key);
      if (group === undefined) {
        group = { labels: { route: s.labels.route, decision: s.labels.decision, platform: s.labels.platform }, buckets: new Float64Array(slots), sumMs: 0, count: 0, exemplars: new Array(slots).fill(null), order: new Float64Array(slots) };
        groups.set(key, group);
      }
      for (let i = 0; i < slots; i++) group.buckets[i] += s.buckets[i];
      group.sumMs += s.sumMs;
      group.count += s.count;
      const ex = bySeries.get(s);
      if (ex === undefined) continue;
      for (let i = 0; i < slots; i++) {
        const id = ex.traceIds[i];
        if (id === null || id.length > MAX_EXEMPLAR_ID) continue;
        if (group.exemplars[i] !== null && ex.order[i] < group.order[i]) continue;
        group.order[i] = ex.order[i];
        group.exemplars[i] = { labelSet: { trace_id: id }, value: ex.valuesMs[i] / 1000, timestamp: ex.timesMs[i] / 1000 };
      }
    }
    const values: object[] = [];
    for (const group of groups.values()) {
      let cumulative = 0;
      for (let i = 0; i < boundsS.length; i++) {
        cumulative += group.buckets[i];
        values.push({ metricName: name + "_bucket", labels: { le: boundsS[i] }, sharedLabels: group.labels, value: cumulative, exemplar: group.exemplars[i] });
      }
      values.push({ metricName: name + "_bucket", labels: { le: "+Inf" }, sharedLabels: group.labels, value: group.count, exemplar: group.exemplars[boundsS.length] });
      values.push({ metricName: name + "_sum", labels: {}, sharedLabels: group.labels, value: group.sumMs / 1000 });
      values.push({ metricName: name + "_count", labels: {}, sharedLabels: group.labels, value: group.count });
    }
    return values;
  }

  return {
    exemplar: function rememberExemplar(series, ms, traceId) {
      if (typeof traceId !== "string" || traceId.length === 0) return;
      let ex = lastExemplars;
      if (series !== lastSeries) {
        ex = bySeries.get(series);
        if (ex === undefined) {
          ex = { traceIds: new Array<string | null>(slots).fill(null), valuesMs: new Float64Array(slots), timesMs: new Float64Array(slots), order: new Float64Array(slots) };
          bySeries.set(series, ex);
        }
        lastSeries = series;
        lastExemplars = ex;
      }
      const i = bucketIndex(ms);
      ex!.traceIds[i] = traceId;
      ex!.valuesMs[i] = ms;
      ex!.timesMs[i] = now();
      ex!.order[i] = ++observed;
    },
  };
}

interface ExemplarOut {
  readonly labelSet: { readonly trace_id: string };
  readonly value: number;
  readonly timestamp: number;
}
