// The forward-auth server's decision metrics (#19): prom-client metrics fed from the decision facts,
// served as Prometheus text (or OpenMetrics with trace exemplars) by the ops server (ops-server.ts).
import { Counter, Gauge, Registry, type OpenMetricsContentType, type RegistryContentType } from "prom-client";
import { traceIdFrom } from "../../shared/audit/trace-id.ts";
import type { DecisionLabels, DecisionMetrics } from "../../shared/metrics/observer.ts";
import { createMetricsTable, type MetricSeries, type MetricsTable } from "../../shared/metrics/table.ts";
import { droppedTally } from "../../shared/metrics/dropped.ts";
import { registerRevocationAgeHistogram } from "./revocation-age-histogram.ts";
import { registerLatencyHistogram } from "./latency-histogram.ts";

/** The Prometheus side of the forward-auth server: the emitter the pipeline feeds, and the text a scrape gets. */
export interface PrometheusMetrics extends DecisionMetrics {
  readonly registry: Registry<RegistryContentType>;
  /** The cumulative counts the registry reads at scrape time; an OTLP export reads the same ones (otlp-export.ts). */
  readonly table: MetricsTable;
  /** Audit lines lost since start (`gatehouse_audit_lines_dropped_total`); an OTLP export reads it too. */
  readonly auditLinesDropped: number;
  /** Canary rollbacks this process performed since start, by rule (`gatehouse_canary_rollbacks_total`); an OTLP export reads them too. */
  readonly canaryRollbacks: ReadonlyMap<string, number>;
  /** The exposition: OpenMetrics (with `trace_id` exemplars on the latency buckets) when `openMetrics`, else Prometheus text 0.0.4. */
  render(openMetrics: boolean): Promise<{ readonly contentType: string; readonly body: string }>;
}

type DecisionLabelNames = "route" | "decision" | "reason" | "platform" | "policy_version";

/**
 * Builds the metrics in a registry of their own (not prom-client's global one, so two servers in one
 * process do not mix): decisions by route, decision, reason, platform and policy version; latency
 * histogram in seconds with buckets from 50 µs to 100 ms; break-glass decisions; token and
 * revocation cache hits; the age of the revocation answers decisions rested on; audit lines lost;
 * a candidate policy set's requests, disagreements and rollbacks; the policy version in force.
 */
export function prometheusMetrics(): PrometheusMetrics {
  // Created as OpenMetrics (prom-client allows exemplars only there); `render` picks the format per scrape
  const registry: Registry<RegistryContentType> = new Registry<OpenMetricsContentType>();
  registry.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
  // Counts are kept in the shared table (cumulative, never drained) and copied into prom-client's
  // counters when scraped: a request pays a few increments, not prom-client's label hashing
  const table = createMetricsTable();
  const labelObjects = new Map<DecisionLabels, Labels>();
  const labelsOf = (series: { readonly labels: DecisionLabels }) => {
    let found = labelObjects.get(series.labels);
    if (found === undefined) {
      const l = series.labels;
      found = {
        full: { route: l.route, decision: l.decision, reason: l.reason, platform: l.platform, policy_version: l.policyVersion },
        glass: { route: l.route, decision: l.decision },
      };
      labelObjects.set(series.labels, found);
    }
    return found;
  };
  new Counter<DecisionLabelNames>({
    name: "gatehouse_decisions_total", help: "Authorization decisions, by route name, decision and reason code", labelNames: ["route", "decision", "reason", "platform", "policy_version"], registers: [registry],
    collect() {
      this.reset();
      for (const s of table.series()) if (s.count > 0) this.inc(labelsOf(s).full, s.count);
    },
  });
  new Counter<"route" | "decision">({
    name: "gatehouse_break_glass_decisions_total", help: "Decisions about break-glass tokens; alert on any", labelNames: ["route", "decision"], registers: [registry],
    collect() {
      this.reset();
      for (const s of table.series()) if (s.breakGlass > 0) this.inc(labelsOf(s).glass, s.breakGlass);
    },
  });
  const cacheCounter = (name: string, help: string, hits: (s: MetricSeries) => number, misses: (s: MetricSeries) => number) =>
    new Counter<"result">({
      name, help, labelNames: ["result"], registers: [registry],
      collect() {
        let hit = 0;
        let miss = 0;
        for (const s of table.series()) {
          hit += hits(s);
          miss += misses(s);
        }
        this.reset();
        if (hit + miss > 0) {
          this.inc({ result: "hit" }, hit);
          this.inc({ result: "miss" }, miss);
        }
      },
    });
  cacheCounter("gatehouse_token_cache_requests_total", "Verified-token cache lookups of requests that carried a token", (s) => s.tokenCacheHits, (s) => s.tokenCacheMisses);
  cacheCounter("gatehouse_revocation_cache_requests_total", "Revocation answers, from the cache or the store", (s) => s.revocationCacheHits, (s) => s.revocationCacheMisses);
  new Gauge<"policy_version">({
    name: "gatehouse_policy_version_info", help: "The enforced policy bundle's version (1 for the version in force)", labelNames: ["policy_version"], registers: [registry],
    collect() {
      this.reset();
      const versions = new Set<string>();
      for (const s of table.series()) versions.add(s.labels.policyVersion);
      for (const version of versions) this.set({ policy_version: version }, 1);
    },
  });
  // A candidate policy set's requests and disagreements, by whether it decided (`canary`) or was only evaluated (`shadow`)
  new Counter<"route" | "decision" | "mode">({
    name: "gatehouse_canary_requests_total", help: "Decisions where a candidate policy set was evaluated: mode canary where it decided, shadow where it was only evaluated", labelNames: ["route", "decision", "mode"], registers: [registry],
    collect() {
      this.reset();
      for (const s of table.series()) {
        if (s.canaryRequests > 0) this.inc({ ...labelsOf(s).glass, mode: "canary" }, s.canaryRequests);
        if (s.shadowRequests > 0) this.inc({ ...labelsOf(s).glass, mode: "shadow" }, s.shadowRequests);
      }
    },
  });
  new Counter<"route" | "decision" | "mode" | "direction">({
    name: "gatehouse_canary_disagreements_total", help: "Of those, decisions where the candidate's decision differs from the stable set's, by direction from the stable decision to the candidate's", labelNames: ["route", "decision", "mode", "direction"], registers: [registry],
    collect() {
      this.reset();
      for (const s of table.series()) {
        for (const [mode, direction, count] of disagreements(s)) if (count > 0) this.inc({ ...labelsOf(s).glass, mode, direction }, count);
      }
    },
  });
  const rollbacks = new Map<string, number>();
  new Counter<"rule">({
    name: "gatehouse_canary_rollbacks_total", help: "Canary rollbacks this process performed, by the rule that fired", labelNames: ["rule"], registers: [registry],
    collect() {
      this.reset();
      for (const [rule, count] of rollbacks) this.inc({ rule }, count);
    },
  });
  registerRevocationAgeHistogram(registry, table);
  const dropped = droppedTally();
  new Counter({
    name: "gatehouse_audit_lines_dropped_total", help: "Audit lines lost after sampling kept them: sink buffer full, batch refused or late, stream closed, or not written", registers: [registry],
    collect() {
      this.reset();
      this.inc(dropped.total);
    },
  });
  // The latency histogram too is read from the table when scraped; a request only notes its trace id as its bucket's exemplar
  const latency = registerLatencyHistogram(registry, table, Date.now);
  let scrape: Promise<unknown> = Promise.resolve();

  return {
    registry,
    table,
    observe: function observePrometheus(facts, platform, version, readTraceId) {
      const series = table.add(facts, platform, version);
      // The audit logger passes the trace id it read for the line; only a direct caller makes us read it
      const traceId = readTraceId !== undefined ? readTraceId : facts.traceId !== undefined ? facts.traceId : traceIdFrom(facts.request.headers, facts.request.platformRequestId);
      // The exemplar ties a bucket to the trace (and audit line) of a request that fell in it
      latency.exemplar(series, facts.timingsMs.total, traceId);
    },
    auditDropped: dropped.note,
    get auditLinesDropped() {
      return dropped.total;
    },
    canaryRollback: function countRollback(rule) {
      rollbacks.set(rule, (rollbacks.get(rule) ?? 0) + 1);
    },
    canaryRollbacks: rollbacks,
    flush: () => Promise.resolve(),
    render: function renderMetrics(openMetrics) {
      // One content type per registry at a time: scrapes take turns
      const run = scrape.then(async () => {
        registry.setContentType(openMetrics ? Registry.OPENMETRICS_CONTENT_TYPE : Registry.PROMETHEUS_CONTENT_TYPE);
        return { contentType: registry.contentType, body: await registry.metrics() };
      });
      scrape = run.catch(() => undefined);
      return run;
    },
  };
}

interface Labels {
  readonly full: Record<DecisionLabelNames, string>;
  readonly glass: Record<"route" | "decision", string>;
}

/** A series' candidate disagreements as `[mode, direction, count]`, the labels the Prometheus and OTLP counters share. */
export function disagreements(s: MetricSeries): readonly (readonly ["canary" | "shadow", "allow_to_deny" | "deny_to_allow", number])[] {
  return [["canary", "allow_to_deny", s.canaryAllowToDeny], ["canary", "deny_to_allow", s.canaryDenyToAllow], ["shadow", "allow_to_deny", s.shadowAllowToDeny], ["shadow", "deny_to_allow", s.shadowDenyToAllow]];
}
