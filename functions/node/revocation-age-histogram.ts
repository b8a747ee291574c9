// The age of the revocation answers decisions rested on, for the forward-auth server's registry: a
// histogram in seconds read from the shared metrics table when scraped (a request only bumps a slot
// in its series), so operators see how old the answers are that stand between a revocation and its
// effect. `le="0"` counts answers read from the store for the request itself.
import type { Registry, RegistryContentType } from "prom-client";
import { REVOCATION_AGE_BUCKETS_S } from "../../shared/metrics/buckets.ts";
import type { MetricsTable } from "../../shared/metrics/table.ts";

/** Registers `gatehouse_revocation_answer_age_seconds` (no labels: summed over the table's series). */
export function registerRevocationAgeHistogram(registry: Registry<RegistryContentType>, table: MetricsTable): void {
  const name = "gatehouse_revocation_answer_age_seconds";
  const help = "Age of the revocation answer a decision relied on, in seconds: 0 read from the store for the request, else the cached answer's age";
  const metric = {
    name, help, type: "histogram", aggregator: "sum", labelNames: [],
    reset() {
      // counts belong to the table, which a scrape never resets
    },
    get: async () => ({ name, help, type: "histogram", aggregator: "sum", values: exportValues() }),
  };
  registry.registerMetric(metric as never);

  function exportValues() {
    const buckets = new Float64Array(REVOCATION_AGE_BUCKETS_S.length + 1);
    let count = 0;
    let sumMs = 0;
    for (const s of table.series()) {
      if (s.revocationAges === 0) continue;
      for (let i = 0; i < buckets.length; i++) buckets[i] += s.revocationAgeBuckets[i];
      count += s.revocationAges;
      sumMs += s.revocationAgeSumMs;
    }
    const values: object[] = [];
    let cumulative = 0;
    for (let i = 0; i < REVOCATION_AGE_BUCKETS_S.length; i++) {
      cumulative += buckets[i];
      values.push({ metricName: name + "_bucket", labels: { le: REVOCATION_AGE_BUCKETS_S[i] }, value: cumulative });
    }
    values.push({ metricName: name + "_bucket", labels: { le: "+Inf" }, value: count });
    values.push({ metricName: name + "_sum", labels: {}, value: sumMs / 1000 });
    values.push({ metricName: name + "_count", labels: {}, value: count });
    return values;
  }
}
