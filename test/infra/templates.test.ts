// What `cfn-lint` would catch first in our SAM templates (issue #15): a Lambda runtime AWS no longer
// lets you create functions with (E2533; nodejs20.x since 2026-06-01). cfn-lint itself comes from PyPI,
// which CI cannot reach, and Debian 12 does not package it; this checks the runtime of every function.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../harness/index.ts";

const SUPPORTED = ["nodejs24.x", "nodejs22.x"];
const TEMPLATES = ["infra/template.yaml", "tools/init/templates/lambda/template.yaml"];

interface Template {
  Globals?: { Function?: { Runtime?: string } };
  Resources: Record<string, { Type: string; Properties?: { Runtime?: string; InlineCode?: string } }>;
}

function functionRuntimes(file: string): Record<string, string | undefined> {
  // CloudFormation's short tags (!Ref, !Sub, !GetAtt) are kept as plain values; only Runtime matters here
  const template = parse(readFileSync(join(repoRoot, file), "utf8"), { logLevel: "silent" }) as Template;
  const runtimes: Record<string, string | undefined> = {};
  for (const [name, resource] of Object.entries(template.Resources)) {
    if (resource.Type === "AWS::Serverless::Function") runtimes[name] = resource.Properties?.Runtime ?? template.Globals?.Function?.Runtime;
    if (resource.Type === "AWS::Lambda::Function") runtimes[name] = resource.Properties?.Runtime;
  }
  return runtimes;
}

describe.each(TEMPLATES)("%s", (file) => {
  it("declares at least one function", () => {
    expect(Object.keys(functionRuntimes(file)).length).toBeGreaterThan(0);
  });

  it("runs every function on a Node.js runtime Lambda still creates", () => {
    for (const [name, runtime] of Object.entries(functionRuntimes(file))) expect(SUPPORTED, `${name}: Runtime ${runtime}`).toContain(runtime);
  });
});

// The SLO alarms and dashboard in infra/template.yaml are what `gatehouse slo` generates for the
// default `slo` section, and they pass the checks cfn-lint would make first (cfn-lint itself is on
// PyPI, which this machine cannot reach): one returned series per metric-math alarm, composite rules
// naming alarms of the template, evaluation ranges within CloudWatch's limits, a dashboard body that is JSON.
describe("infra/template.yaml: SLO alarms and dashboard (#19)", async () => {
  const { cloudWatchResources } = await import("../../tools/slo/index.ts");
  const { resolveSloConfig } = await import("../../shared/metrics/slo-config.ts");
  const template = parse(readFileSync(join(repoRoot, "infra/template.yaml"), "utf8"), { logLevel: "silent" }) as { Resources: Record<string, { Type: string; Properties: Record<string, any> }> };
  const generated = cloudWatchResources(resolveSloConfig(undefined));

  it("carries every generated resource unchanged", () => {
    for (const [id, resource] of Object.entries(generated)) expect(template.Resources[id], id).toEqual(resource);
  });

  it("gives each metric-math alarm exactly one returned series and a known stat, each plain alarm a metric", () => {
    for (const [id, resource] of Object.entries(template.Resources)) {
      if (resource.Type !== "AWS::CloudWatch::Alarm") continue;
      const p = resource.Properties;
      if (p.Metrics) {
        expect(p.Metrics.filter((m: { ReturnData?: boolean }) => m.ReturnData !== false), id).toHaveLength(1);
        expect(p.MetricName, id).toBeUndefined();
        for (const m of p.Metrics) if (m.MetricStat) expect(["Sum", "Average", "SampleCount"], id).toContain(m.MetricStat.Stat);
      } else {
        expect(typeof p.MetricName === "string" && typeof p.Namespace === "string", id).toBe(true);
        expect((p.Statistic === undefined) !== (p.ExtendedStatistic === undefined), `${id}: Statistic or ExtendedStatistic`).toBe(true);
      }
      const period = p.Period ?? p.Metrics.find((m: { MetricStat?: { Period: number } }) => m.MetricStat)!.MetricStat.Period;
      expect(period % 60, id).toBe(0);
      // CloudWatch: at most 7 days of evaluation, at most 1 day when the period is under an hour
      expect(period * p.EvaluationPeriods, id).toBeLessThanOrEqual(period < 3600 ? 86_400 : 604_800);
      expect(p.DatapointsToAlarm ?? p.EvaluationPeriods, id).toBeLessThanOrEqual(p.EvaluationPeriods);
    }
  });

  it("alarms on a revocation answer older than the time-to-revoke objective and on any audit line dropped", () => {
    expect(template.Resources.GatehouseRevocationAgeAlarm.Properties).toMatchObject({ MetricName: "RevocationAge", Statistic: "Maximum", Threshold: 10_000, ComparisonOperator: "GreaterThanThreshold" });
    expect(template.Resources.GatehouseAuditDroppedAlarm.Properties).toMatchObject({ MetricName: "AuditLinesDropped", Statistic: "Sum", Threshold: 0, ComparisonOperator: "GreaterThanThreshold" });
  });

  it("builds composite alarms from alarms of this template", () => {
    for (const [id, resource] of Object.entries(template.Resources)) {
      if (resource.Type !== "AWS::CloudWatch::CompositeAlarm") continue;
      const rule = resource.Properties.AlarmRule["Fn::Sub"] as string;
      const named = [...rule.matchAll(/ALARM\(\$\{(\w+)\}\)/g)].map((m) => m[1]);
      expect(named.length, id).toBe(2);
      for (const name of named) expect(template.Resources[name]?.Type, `${id} -> ${name}`).toBe("AWS::CloudWatch::Alarm");
    }
  });

  it("has a dashboard body that is JSON once substituted, with the on-call panels", () => {
    const body = template.Resources.GatehouseDashboard.Properties.DashboardBody["Fn::Sub"] as string;
    const dashboard = JSON.parse(body.replaceAll("${AWS::Region}", "us-east-1").replaceAll("${!", "${")) as { widgets: { properties: { title: string } }[] };
    const titles = dashboard.widgets.map((w) => w.properties.title).join(" | ");
    for (const panel of ["Success rate", "latency p95", "Deny rate by route", "Cache hit ratios", "Policy version", "Break-glass", "Revocation age", "Audit lines dropped"]) expect(titles).toContain(panel);
  });

  it("passes the authorizer cache TTL to the function, which refuses break-glass unless it is 0", () => {
    expect(template.Resources.AuthorizerFunction.Properties.Environment.Variables.GATEHOUSE_AUTHORIZER_CACHE_TTL).toBeDefined();
  });
});
