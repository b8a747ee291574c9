// CloudWatch alarms and a dashboard for the Lambda authorizer's EMF metrics (shared/metrics/emf.ts),
// as CloudFormation resources in long-form intrinsics (`Fn::Sub`), so they merge into any template.
import type { ResolvedSloConfig } from "../../shared/metrics/slo-config.ts";
import { BURN_RATE_WINDOWS, burnFactor, promDuration, threshold } from "./burn-rates.ts";

type Resource = { Type: string; Properties: Record<string, unknown> };

// CloudWatch evaluates periods of at most a day for metric math; a 3-day window becomes 3 periods of 1 day
function periodOf(minutes: number): { period: number; evaluationPeriods: number } {
  return minutes <= 1440 ? { period: minutes * 60, evaluationPeriods: 1 } : { period: 86_400, evaluationPeriods: minutes / 1440 };
}

function errorRatioAlarm(name: string, minutes: number, limit: number, namespace: string): Resource {
  const { period, evaluationPeriods } = periodOf(minutes);
  const metric = (id: string, metricName: string) => ({ Id: id, ReturnData: false, MetricStat: { Metric: { Namespace: namespace, MetricName: metricName, Dimensions: [{ Name: "Platform", Value: "lambda" }] }, Period: period, Stat: "Sum" } });
  return {
    Type: "AWS::CloudWatch::Alarm",
    Properties: {
      AlarmName: { "Fn::Sub": `\${AWS::StackName}-${name}` },
      ComparisonOperator: "GreaterThanThreshold",
      Threshold: limit,
      EvaluationPeriods: evaluationPeriods,
      DatapointsToAlarm: evaluationPeriods,
      TreatMissingData: "notBreaching",
      Metrics: [metric("errors", "Errors"), metric("decisions", "Decisions"), { Id: "ratio", Expression: "IF(decisions > 0, errors / decisions, 0)", ReturnData: true }],
    },
  };
}

/** The alarms (burn rate of decision errors, p-latency, break-glass use, revocation answer age, audit lines dropped) and the dashboard, by logical id. */
export function cloudWatchResources(slo: ResolvedSloConfig, namespace = "Gatehouse"): Record<string, Resource> {
  const resources: Record<string, Resource> = {};
  BURN_RATE_WINDOWS.forEach((w, i) => {
    const limit = threshold(w, slo, slo.availability);
    const long = `GatehouseErrorBurn${i + 1}Long`;
    const short = `GatehouseErrorBurn${i + 1}Short`;
    resources[long] = errorRatioAlarm(`error-burn-${promDuration(w.longMinutes)}`, w.longMinutes, limit, namespace);
    resources[short] = errorRatioAlarm(`error-burn-${promDuration(w.longMinutes)}-short-${promDuration(w.shortMinutes)}`, w.shortMinutes, limit, namespace);
    resources[`GatehouseErrorBurn${i + 1}`] = {
      Type: "AWS::CloudWatch::CompositeAlarm",
      Properties: {
        AlarmName: { "Fn::Sub": `\${AWS::StackName}-error-budget-burn-${promDuration(w.longMinutes)}-${w.severity}` },
        AlarmDescription: `Decision errors burn the ${slo.windowDays}-day budget ${burnFactor(w, slo)}x too fast over ${promDuration(w.longMinutes)} and ${promDuration(w.shortMinutes)}`,
        AlarmRule: { "Fn::Sub": `ALARM(\${${long}}) AND ALARM(\${${short}})` },
      },
    };
  });
  // EMF `Latency` is in µs (shared/metrics/emf.ts)
  resources.GatehouseLatencyAlarm = {
    Type: "AWS::CloudWatch::Alarm",
    Properties: {
      AlarmName: { "Fn::Sub": "${AWS::StackName}-decision-latency" },
      AlarmDescription: `p${Math.round(slo.latency * 100)} decision latency above ${slo.latencyThresholdMs} ms for 3 of 5 minutes`,
      Namespace: namespace, MetricName: "Latency", Dimensions: [{ Name: "Platform", Value: "lambda" }],
      ExtendedStatistic: `p${Math.round(slo.latency * 1000) / 10}`, Period: 60, EvaluationPeriods: 5, DatapointsToAlarm: 3,
      Threshold: slo.latencyThresholdMs * 1000, ComparisonOperator: "GreaterThanThreshold", TreatMissingData: "notBreaching",
    },
  };
  resources.GatehouseBreakGlassAlarm = anyMinuteAbove(namespace, {
    name: "break-glass-used", description: "A break-glass token was used: check the audit lines with break_glass true",
    metric: "BreakGlass", statistic: "Sum", threshold: 0,
  });
  // EMF `RevocationAge` is each document's oldest answer, in ms: the Maximum over a minute is the worst served
  resources.GatehouseRevocationAgeAlarm = anyMinuteAbove(namespace, {
    name: "revocation-answer-age",
    description: `A decision rested on a revocation answer older than ${slo.revocationAgeSeconds} s (time-to-revoke objective): store down with fail mode stale, or the cache ttlMs above the objective`,
    metric: "RevocationAge", statistic: "Maximum", threshold: slo.revocationAgeSeconds * 1000,
  });
  resources.GatehouseAuditDroppedAlarm = anyMinuteAbove(namespace, {
    name: "audit-lines-dropped", description: "Audit lines were lost (sink buffer full, collector refusing or late, stream closed): the audit trail is incomplete",
    metric: "AuditLinesDropped", statistic: "Sum", threshold: 0,
  });
  resources.GatehouseDashboard = {
    Type: "AWS::CloudWatch::Dashboard",
    Properties: { DashboardName: { "Fn::Sub": "${AWS::StackName}-gatehouse" }, DashboardBody: { "Fn::Sub": JSON.stringify(cloudWatchDashboard(slo, namespace)).replace(/\$\{(?!AWS::)/g, "${!") } },
  };
  return resources;
}

/** The dashboard body: the panels an on-call engineer reads first. */
export function cloudWatchDashboard(slo: ResolvedSloConfig, namespace: string): { widgets: unknown[] } {
  const dim = `${namespace},Platform`;
  const widget = (x: number, y: number, title: string, metrics: unknown[], extra: Record<string, unknown> = {}) => ({
    type: "metric", x, y, width: 12, height: 6, properties: { title, region: "${AWS::Region}", view: "timeSeries", stat: "Sum", period: 60, metrics, ...extra },
  });
  return {
    widgets: [
      widget(0, 0, "Success rate (not 503)", [[{ expression: "100 * (1 - e / d)", label: "success %", id: "s" }], [namespace, "Errors", "Platform", "lambda", { id: "e", visible: false }], [namespace, "Decisions", "Platform", "lambda", { id: "d", visible: false }]]),
      widget(12, 0, `Decision latency p95 (SLO: ${slo.latencyThresholdMs * 1000} µs)`, [[namespace, "Latency", "Platform", "lambda", { stat: "p95" }], [namespace, "Latency", "Platform", "lambda", { stat: "p99" }]]),
      widget(0, 6, "Deny rate by route", [[{ expression: `SEARCH('{${namespace},Platform,Route,Decision} Decision="deny" MetricName="Decisions"', 'Sum', 60)`, id: "deny" }]]),
      widget(12, 6, "Cache hit ratios", [
        [{ expression: "100 * th / (th + tm)", label: "token cache %", id: "t" }], [{ expression: "100 * rh / (rh + rm)", label: "revocation cache %", id: "r" }],
        [namespace, "TokenCacheHits", "Platform", "lambda", { id: "th", visible: false }], [namespace, "TokenCacheMisses", "Platform", "lambda", { id: "tm", visible: false }],
        [namespace, "RevocationCacheHits", "Platform", "lambda", { id: "rh", visible: false }], [namespace, "RevocationCacheMisses", "Platform", "lambda", { id: "rm", visible: false }],
      ]),
      widget(0, 12, "Policy version in force (decisions per version)", [[{ expression: `SEARCH('{${namespace},Platform,PolicyVersion} MetricName="Decisions"', 'Sum', 300)`, id: "v" }]]),
      widget(12, 12, "Break-glass decisions (alerting on any)", [[namespace, "BreakGlass", "Platform", "lambda"]]),
      widget(0, 18, "Token failures by reason", [[{ expression: `SEARCH('{${dim},Reason} MetricName="Decisions" NOT Reason="allowed" NOT Reason="public_route"', 'Sum', 300)`, id: "reasons" }]]),
      widget(12, 18, `Revocation age, oldest answer in ms (time to revoke; objective ${slo.revocationAgeSeconds} s)`, [[namespace, "RevocationAge", "Platform", "lambda", { stat: "Maximum", label: "oldest answer" }]],
        { annotations: { horizontal: [{ label: "objective", value: slo.revocationAgeSeconds * 1000 }] } }),
      widget(0, 24, "Audit lines dropped", [[namespace, "AuditLinesDropped", "Platform", "lambda", { label: "lines lost" }]]),
    ],
  };
}

/** An alarm on one Lambda metric that fires on the first minute whose `statistic` exceeds `threshold`. */
function anyMinuteAbove(namespace: string, alarm: { name: string; description: string; metric: string; statistic: "Sum" | "Maximum"; threshold: number }): Resource {
  return {
    Type: "AWS::CloudWatch::Alarm",
    Properties: {
      AlarmName: { "Fn::Sub": `\${AWS::StackName}-${alarm.name}` },
      AlarmDescription: alarm.description,
      Namespace: namespace, MetricName: alarm.metric, Dimensions: [{ Name: "Platform", Value: "lambda" }],
      Statistic: alarm.statistic, Period: 60, EvaluationPeriods: 1, Threshold: alarm.threshold, ComparisonOperator: "GreaterThanThreshold", TreatMissingData: "notBreaching",
    },
  };
}
