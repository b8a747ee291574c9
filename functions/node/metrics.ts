// The forward-auth server's decision metrics (#19): prom-client metrics fed from the decision facts,
// served as Prometheus text (or OpenMetrics with trace exemplars) by the ops server (ops-server.ts).
import { Counter, Gauge, Histogram, Registry, type OpenMetricsContentType, type RegistryContentType } from "prom-client";
import type { DecisionFacts } from "../../shared/audit/facts.ts";
import { traceIdFrom } from "../../shared/audit/trace-id.ts";
import { LATENCY_BUCKETS_MS } from "../../shared/metrics/buckets.ts";
import type { DecisionLabels, DecisionMetrics } from "../../shared/metrics/observer.ts";
import { createMetricsTable } from "../../shared/metrics/table.ts";

/** The Prometheus side of the forward-auth server: the emitter the pipeline feeds, and the text a scrape gets. */
export interface PrometheusMetrics extends DecisionMetrics {
  readonly registry: Registry<RegistryContentType>;
  /** The exposition: OpenMetrics (with `trace_id` exemplars on the latency buckets) when `openMetrics`, else Prometheus text 0.0.4. */
  render(openMetrics: boolean): Promise<{ readonly contentType: string; readonly body: string }>;
}

type DecisionLabelNames = "route" | "decision" | "reason" | "platform" | "policy_version";

/**
 * Builds the metrics in a registry of their own (not prom-client's global one, so two servers in one
 * process do not mix): decisions by route, decision, reason, platform and policy version; latency
 * histogram in seconds with buckets from 50 µs to 100 ms; break-glass decisions; token and
 * revocation cache hits; the policy version in force.
 */
export function prometheusMetrics(): PrometheusMetrics {
  // Created as OpenMetrics (prom-client allows exemplars only there); `render` picks the format per scrape
  const registry: Registry<RegistryContentType> = new Registry<OpenMetricsContentType>();
  registry.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
  const decisions = new Counter<DecisionLabelNames>({ name: "gatehouse_decisions_total", help: "Authorization decisions, by route name, decision and reason code", labelNames: ["route", "decision", "reason", "platform", "policy_version"], registers: [registry] });
  const latency = new Histogram<"route" | "decision" | "platform">({
    name: "gatehouse_decision_duration_seconds",
    help: "Time from request to decision, in seconds",
    labelNames: ["route", "decision", "platform"],
    buckets: LATENCY_BUCKETS_MS.map((ms) => ms / 1000),
    enableExemplars: true,
    registers: [registry],
  });
  const breakGlass = new Counter<"route" | "decision">({ name: "gatehouse_break_glass_decisions_total", help: "Decisions about break-glass tokens; alert on any", labelNames: ["route", "decision"], registers: [registry] });
  const tokenCache = new Counter<"result">({ name: "gatehouse_token_cache_requests_total", help: "Verified-token cache lookups of requests that carried a token", labelNames: ["result"], registers: [registry] });
  const revocationCache = new Counter<"result">({ name: "gatehouse_revocation_cache_requests_total", help: "Revocation answers, from the cache or the store", labelNames: ["result"], registers: [registry] });
  const policyVersion = new Gauge<"policy_version">({ name: "gatehouse_policy_version_info", help: "The enforced policy bundle's version (1 for the version in force)", labelNames: ["policy_version"], registers: [registry] });
  // One label object per label set, found through the table's maps: no label object per request
  const table = createMetricsTable();
  const labelObjects = new Map<DecisionLabels, { full: Record<DecisionLabelNames, string>; latency: Record<"route" | "decision" | "platform", string>; glass: Record<"route" | "decision", string> }>();
  let lastVersion: string | undefined;
  let scrape: Promise<unknown> = Promise.resolve();

  function labelsOf(facts: DecisionFacts, platform: DecisionLabels["platform"], version: string | null) {
    const series = table.add(facts, platform, version);
    let found = labelObjects.get(series.labels);
    if (found === undefined) {
      const l = series.labels;
      found = {
        full: { route: l.route, decision: l.decision, reason: l.reason, platform: l.platform, policy_version: l.policyVersion },
        latency: { route: l.route, decision: l.decision, platform: l.platform },
        glass: { route: l.route, decision: l.decision },
      };
      labelObjects.set(series.labels, found);
    }
    return found;
  }

  return {
    registry,
    observe: function observePrometheus(facts, platform, version) {
      const labels = labelsOf(facts, platform, version);
      decisions.inc(labels.full);
      const traceId = facts.traceId !== undefined ? facts.traceId : traceIdFrom(facts.request.headers, facts.request.platformRequestId);
      latency.observe({ labels: labels.latency, value: facts.timingsMs.total / 1000, exemplarLabels: (traceId ? { trace_id: traceId } : {}) as never });
      if (facts.breakGlass === true) breakGlass.inc(labels.glass);
      const hit = facts.cache?.tokenHit;
      if (typeof hit === "boolean") tokenCache.inc({ result: hit ? "hit" : "miss" });
      const revocation = facts.revocation;
      if (revocation != null && revocation.checked) revocationCache.inc({ result: revocation.cached ? "hit" : "miss" });
      const current = version ?? "none";
      if (current !== lastVersion) {
        policyVersion.reset();
        policyVersion.set({ policy_version: current }, 1);
        lastVersion = current;
      }
    },
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
