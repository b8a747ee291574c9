// A Grafana dashboard (JSON model, schemaVersion 39) over the forward-auth server's Prometheus metrics.
import { ERROR_REASON_CODES } from "../../shared/metrics/error-reasons.ts";
import type { ResolvedSloConfig } from "../../shared/metrics/slo-config.ts";

export function grafanaDashboard(slo: ResolvedSloConfig): Record<string, unknown> {
  const errors = `reason=~"${ERROR_REASON_CODES.join("|")}"`;
  let id = 0;
  const panel = (x: number, y: number, title: string, targets: { expr: string; legend: string }[], unit = "short", extra: Record<string, unknown> = {}) => ({
    id: ++id, type: "timeseries", title, gridPos: { x, y, w: 12, h: 8 }, datasource: { type: "prometheus", uid: "${datasource}" },
    fieldConfig: { defaults: { unit }, overrides: [] },
    targets: targets.map((t, i) => ({ refId: String.fromCharCode(65 + i), expr: t.expr, legendFormat: t.legend, ...(extra.exemplar ? { exemplar: true } : {}) })),
  });
  return {
    title: "Gatehouse authorizer",
    uid: "gatehouse-authorizer",
    schemaVersion: 39,
    time: { from: "now-6h", to: "now" },
    templating: { list: [{ name: "datasource", type: "datasource", query: "prometheus" }] },
    panels: [
      panel(0, 0, `Success rate (SLO ${slo.availability * 100} %)`, [{ expr: `1 - sum(rate(gatehouse_decisions_total{${errors}}[5m])) / sum(rate(gatehouse_decisions_total[5m]))`, legend: "success" }], "percentunit"),
      panel(12, 0, `Decision latency p95 (SLO ${slo.latencyThresholdMs} ms)`, [
        { expr: "histogram_quantile(0.95, sum by (le) (rate(gatehouse_decision_duration_seconds_bucket[5m])))", legend: "p95" },
        { expr: "histogram_quantile(0.99, sum by (le) (rate(gatehouse_decision_duration_seconds_bucket[5m])))", legend: "p99" },
      ], "s", { exemplar: true }),
      panel(0, 8, "Deny rate by route", [{ expr: 'sum by (route) (rate(gatehouse_decisions_total{decision="deny"}[5m])) / sum by (route) (rate(gatehouse_decisions_total[5m]))', legend: "{{route}}" }], "percentunit"),
      panel(12, 8, "Cache hit ratios", [
        { expr: 'sum(rate(gatehouse_token_cache_requests_total{result="hit"}[5m])) / sum(rate(gatehouse_token_cache_requests_total[5m]))', legend: "token" },
        { expr: 'sum(rate(gatehouse_revocation_cache_requests_total{result="hit"}[5m])) / sum(rate(gatehouse_revocation_cache_requests_total[5m]))', legend: "revocation" },
      ], "percentunit"),
      panel(0, 16, "Policy version in force", [{ expr: "max by (policy_version) (gatehouse_policy_version_info)", legend: "{{policy_version}}" }]),
      panel(12, 16, "Break-glass decisions", [{ expr: "sum by (route, decision) (increase(gatehouse_break_glass_decisions_total[5m]))", legend: "{{route}} {{decision}}" }]),
      panel(0, 24, "Denials by reason", [{ expr: 'sum by (reason) (rate(gatehouse_decisions_total{decision="deny"}[5m]))', legend: "{{reason}}" }], "reqps"),
      panel(12, 24, `Revocation age (time to revoke; objective ${slo.revocationAgeSeconds} s)`, [
        { expr: "histogram_quantile(0.99, sum by (le) (rate(gatehouse_revocation_answer_age_seconds_bucket[5m])))", legend: "p99" },
        { expr: "sum(rate(gatehouse_revocation_answer_age_seconds_sum[5m])) / sum(rate(gatehouse_revocation_answer_age_seconds_count[5m]))", legend: "mean" },
      ], "s"),
      panel(0, 32, "Audit lines dropped", [{ expr: "sum(increase(gatehouse_audit_lines_dropped_total[5m]))", legend: "lines lost (5m)" }]),
      panel(12, 32, "Candidate policy set: disagreement rate", [
        { expr: 'sum(rate(gatehouse_canary_disagreements_total{mode="canary",direction="allow_to_deny"}[5m])) / sum(rate(gatehouse_canary_requests_total{mode="canary"}[5m]))', legend: "canary: denies the stable set allows" },
        { expr: 'sum(rate(gatehouse_canary_disagreements_total{mode="shadow"}[5m])) / sum(rate(gatehouse_canary_requests_total{mode="shadow"}[5m]))', legend: "shadow: any disagreement" },
        { expr: "sum(increase(gatehouse_canary_rollbacks_total[5m]))", legend: "rollbacks (5m)" },
      ], "percentunit"),
    ],
  };
}
