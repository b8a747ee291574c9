// Prometheus recording and alerting rules for the forward-auth server's metrics (functions/node/metrics.ts).
import { ERROR_REASON_CODES } from "../../shared/metrics/error-reasons.ts";
import type { ResolvedSloConfig } from "../../shared/metrics/slo-config.ts";
import { BURN_RATE_WINDOWS, burnFactor, promDuration, threshold } from "./burn-rates.ts";

interface Rule {
  record?: string;
  alert?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

/** The canary rollback rule's bounds the fleet-wide canary alert uses (the config's `rollout.rollback`, else its defaults). */
export interface CanaryAlertBounds {
  /** Largest share of canary requests the candidate may deny where the stable set allows; default 0.01. */
  readonly maxDenyRate: number;
  /** Canary requests in 5 minutes, over every instance, before the share is judged; default 200. */
  readonly minRequests: number;
}

const CANARY_DEFAULTS: CanaryAlertBounds = { maxDenyRate: 0.01, minRequests: 200 };

/** The rule file's object (`groups: [...]`), ready for YAML or JSON. */
export function prometheusRules(slo: ResolvedSloConfig, canary: CanaryAlertBounds = CANARY_DEFAULTS): { groups: { name: string; rules: Rule[] }[] } {
  const errors = `reason=~"${ERROR_REASON_CODES.join("|")}"`;
  const le = String(slo.latencyThresholdMs / 1000);
  const windows = [...new Set(BURN_RATE_WINDOWS.flatMap((w) => [w.longMinutes, w.shortMinutes]))].sort((a, b) => a - b);
  const recording: Rule[] = windows.flatMap((minutes) => {
    const d = promDuration(minutes);
    return [
      { record: `gatehouse:decision_errors:ratio_rate${d}`, expr: `sum(rate(gatehouse_decisions_total{${errors}}[${d}])) / sum(rate(gatehouse_decisions_total[${d}]))` },
      { record: `gatehouse:decision_slow:ratio_rate${d}`, expr: `1 - sum(rate(gatehouse_decision_duration_seconds_bucket{le="${le}"}[${d}])) / sum(rate(gatehouse_decision_duration_seconds_count[${d}]))` },
    ];
  });
  const burn = (name: string, record: string, objective: number, what: string): Rule[] =>
    BURN_RATE_WINDOWS.map((w) => ({
      alert: name,
      expr: `${record}${promDuration(w.longMinutes)} > ${threshold(w, slo, objective)} and ${record}${promDuration(w.shortMinutes)} > ${threshold(w, slo, objective)}`,
      labels: { severity: w.severity, long_window: promDuration(w.longMinutes) },
      annotations: { summary: `${what} burns the ${slo.windowDays}-day error budget ${burnFactor(w, slo)}x too fast (${promDuration(w.longMinutes)} and ${promDuration(w.shortMinutes)} windows)` },
    }));
  return {
    groups: [
      { name: "gatehouse-slo-recording", rules: recording },
      {
        name: "gatehouse-slo-alerts",
        rules: [
          ...burn("GatehouseDecisionErrorBudgetBurn", "gatehouse:decision_errors:ratio_rate", slo.availability, `Decision errors (503: ${ERROR_REASON_CODES.join(", ")})`),
          ...burn("GatehouseDecisionLatencyBudgetBurn", "gatehouse:decision_slow:ratio_rate", slo.latency, `Decisions slower than ${slo.latencyThresholdMs} ms`),
          {
            alert: "GatehouseBreakGlassUsed",
            expr: "sum(increase(gatehouse_break_glass_decisions_total[5m])) > 0",
            labels: { severity: "page" },
            annotations: { summary: "A break-glass token was used: check the audit lines with `break_glass: true`" },
          },
          ...timeToRevokeAlerts(slo),
          ...canaryAlerts(canary),
        ],
      },
    ],
  };
}

// Time to revoke and audit completeness are bounds, not ratios: one answer older than the objective,
// or one line lost, is worth a look, so these fire on any occurrence in 5 minutes rather than on a burn rate
function timeToRevokeAlerts(slo: ResolvedSloConfig): Rule[] {
  const age = "gatehouse_revocation_answer_age_seconds";
  return [
    {
      alert: "GatehouseRevocationAnswerTooOld",
      // answers counted minus those within the bound: the ones older than it
      expr: `sum(increase(${age}_count[5m])) - sum(increase(${age}_bucket{le="${slo.revocationAgeSeconds}"}[5m])) > 0`,
      labels: { severity: "page" },
      annotations: { summary: `Decisions rested on revocation answers older than ${slo.revocationAgeSeconds} s (time-to-revoke objective): is the store down with fail mode \`stale\`, or the cache ttlMs above the objective?` },
    },
    {
      alert: "GatehouseAuditLinesDropped",
      expr: "sum(increase(gatehouse_audit_lines_dropped_total[5m])) > 0",
      labels: { severity: "ticket" },
      annotations: { summary: "Audit lines were lost (sink buffer full, collector refusing or late, stream closed): the audit trail is incomplete" },
    },
  ];
}

// Each instance rolls a canary back by its own traffic; across the fleet the slice may misbehave
// while no single instance reaches `minRequests`, so the same bounds are judged over every instance
function canaryAlerts(bounds: CanaryAlertBounds): Rule[] {
  const requests = 'sum(increase(gatehouse_canary_requests_total{mode="canary"}[5m]))';
  return [
    {
      alert: "GatehouseCanaryDenyRate",
      expr: `sum(increase(gatehouse_canary_disagreements_total{mode="canary",direction="allow_to_deny"}[5m])) / ${requests} > ${bounds.maxDenyRate} and ${requests} >= ${bounds.minRequests}`,
      labels: { severity: "page" },
      annotations: { summary: `The canary candidate denies what the stable set allows on more than ${+(bounds.maxDenyRate * 100).toFixed(4)} % of canary requests across instances (5 minutes): roll it back with \`gatehouse rollback\`` },
    },
    {
      alert: "GatehouseCanaryRolledBack",
      expr: "sum(increase(gatehouse_canary_rollbacks_total[5m])) > 0",
      labels: { severity: "ticket" },
      annotations: { summary: "An instance rolled the canary candidate back: its `rollback` audit event names the rule and the evidence" },
    },
  ];
}
