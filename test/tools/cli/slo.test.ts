// `gatehouse slo` writes burn-rate alerts and dashboards from the `slo` section. The Prometheus
// rules are checked by Prometheus's own `promtool`: `check rules` (syntax, PromQL), and `test rules`
// with synthetic series, so the page alert is shown to fire on a fast burn, to stay quiet on a
// healthy service, and the break-glass alert to fire on one use.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse, stringify } from "yaml";
import { afterAll, describe, expect, it, vi } from "vitest";
import { command } from "../../../tools/cli/commands/slo.ts";
import { REASONS_BY_STATUS } from "../../../shared/pipeline/reasons.ts";

// The alert's summary names every 503 reason: the decision errors the SLO counts
const ERROR_REASONS = REASONS_BY_STATUS[503].join(", ");
const REVOCATION_SUMMARY = "Decisions rested on revocation answers older than 10 s (time-to-revoke objective): is the store down with fail mode `stale`, or the cache ttlMs above the objective?";

const dir = mkdtempSync(join(tmpdir(), "gatehouse-slo-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const promtool = (...args: string[]) => spawnSync("promtool", args, { cwd: dir, encoding: "utf8" });
// Prometheus's own checker (Debian's `prometheus` package): .ci/run installs it, so under CI its absence fails
const hasPromtool = spawnSync("promtool", ["--version"]).status === 0 || process.env.CI === "true";

async function runSlo(args: string[]): Promise<{ code: number; stderr: string }> {
  const errors: string[] = [];
  const err = vi.spyOn(console, "error").mockImplementation((line: string) => void errors.push(line));
  const log = vi.spyOn(console, "log").mockImplementation(() => {});
  try {
    return { code: await command.run(args), stderr: errors.join("\n") };
  } finally {
    err.mockRestore();
    log.mockRestore();
  }
}

const CANARY_SUMMARY = "The canary candidate denies what the stable set allows on more than 1 % of canary requests across instances (5 minutes): roll it back with `gatehouse rollback`";

describe("gatehouse slo", () => {
  it.skipIf(!hasPromtool)("writes rules that promtool accepts, and alerts that fire when they should", async () => {
    const config = join(dir, "config.json");
    writeFileSync(config, JSON.stringify({ slo: { availability: 0.999, latency: 0.95, latencyThresholdMs: 5, revocationAgeSeconds: 10 } }));
    expect((await runSlo(["--config", config, "--out", dir])).code).toBe(0);
    const check = promtool("check", "rules", "prometheus-rules.yaml");
    expect(check.stdout + check.stderr).toContain("SUCCESS");
    expect(check.status).toBe(0);

    // 10 % of decisions are internal errors from t=0: 100x the 0.1 % budget, so the 1 h / 5 m page fires;
    // a healthy series (no errors) raises nothing; one break-glass decision pages
    const allowed = 'gatehouse_decisions_total{route="r",decision="allow",reason="allowed",platform="node",policy_version="v"}';
    const failing = 'gatehouse_decisions_total{route="r",decision="deny",reason="internal_error",platform="node",policy_version="v"}';
    writeFileSync(join(dir, "rules.test.yaml"), stringify({
      rule_files: ["prometheus-rules.yaml"],
      evaluation_interval: "1m",
      tests: [
        {
          interval: "1m",
          input_series: [{ series: allowed, values: "0+900x120" }, { series: failing, values: "0+100x120" }, { series: 'gatehouse_break_glass_decisions_total{route="r",decision="allow"}', values: "0x60 1x60" }],
          alert_rule_test: [
            { eval_time: "70m", alertname: "GatehouseDecisionErrorBudgetBurn", exp_alerts: [
              { exp_labels: { severity: "page", long_window: "1h" }, exp_annotations: { summary: `Decision errors (503: ${ERROR_REASONS}) burns the 30-day error budget 14.4x too fast (1h and 5m windows)` } },
              { exp_labels: { severity: "page", long_window: "6h" }, exp_annotations: { summary: `Decision errors (503: ${ERROR_REASONS}) burns the 30-day error budget 6x too fast (6h and 30m windows)` } },
              { exp_labels: { severity: "ticket", long_window: "3d" }, exp_annotations: { summary: `Decision errors (503: ${ERROR_REASONS}) burns the 30-day error budget 1x too fast (3d and 6h windows)` } },
            ] },
            { eval_time: "62m", alertname: "GatehouseBreakGlassUsed", exp_alerts: [{ exp_labels: { severity: "page" }, exp_annotations: { summary: "A break-glass token was used: check the audit lines with `break_glass: true`" } }] },
            { eval_time: "30m", alertname: "GatehouseBreakGlassUsed", exp_alerts: [] },
          ],
        },
        {
          interval: "1m",
          input_series: [{ series: allowed, values: "0+1000x120" }],
          alert_rule_test: [{ eval_time: "90m", alertname: "GatehouseDecisionErrorBudgetBurn", exp_alerts: [] }],
        },
        {
          // Revocation answers, as the forward-auth server exposes them: 100 a minute, all within 5 s
          // until t=60m, then 10 a minute older than the 10 s objective (the store down, fail mode stale);
          // audit lines lost once, at t=40m
          interval: "1m",
          input_series: [
            { series: 'gatehouse_revocation_answer_age_seconds_bucket{le="5"}', values: "0+100x120" },
            { series: 'gatehouse_revocation_answer_age_seconds_bucket{le="10"}', values: "0+100x120" },
            { series: 'gatehouse_revocation_answer_age_seconds_bucket{le="+Inf"}', values: "0+100x60 6110+110x59" },
            { series: "gatehouse_revocation_answer_age_seconds_count", values: "0+100x60 6110+110x59" },
            { series: "gatehouse_audit_lines_dropped_total", values: "0x40 3x80" },
          ],
          alert_rule_test: [
            { eval_time: "30m", alertname: "GatehouseRevocationAnswerTooOld", exp_alerts: [] },
            { eval_time: "64m", alertname: "GatehouseRevocationAnswerTooOld", exp_alerts: [{ exp_labels: { severity: "page" }, exp_annotations: { summary: REVOCATION_SUMMARY } }] },
            { eval_time: "30m", alertname: "GatehouseAuditLinesDropped", exp_alerts: [] },
            { eval_time: "42m", alertname: "GatehouseAuditLinesDropped", exp_alerts: [{ exp_labels: { severity: "ticket" }, exp_annotations: { summary: "Audit lines were lost (sink buffer full, collector refusing or late, stream closed): the audit trail is incomplete" } }] },
            { eval_time: "60m", alertname: "GatehouseAuditLinesDropped", exp_alerts: [] },
          ],
        },
        {
          // A canary across instances: 100 canary requests a minute; from t=30m the candidate denies 5 of
          // them where the stable set allows (5 % > 1 %); one instance rolls back at t=50m
          interval: "1m",
          input_series: [
            { series: 'gatehouse_canary_requests_total{route="r",decision="allow",mode="canary"}', values: "0+100x120" },
            { series: 'gatehouse_canary_disagreements_total{route="r",decision="deny",mode="canary",direction="allow_to_deny"}', values: "0x30 5+5x89" },
            { series: 'gatehouse_canary_disagreements_total{route="r",decision="allow",mode="shadow",direction="allow_to_deny"}', values: "0+50x120" },
            { series: 'gatehouse_canary_rollbacks_total{rule="deny_rate"}', values: "0x50 1x70" },
          ],
          alert_rule_test: [
            { eval_time: "20m", alertname: "GatehouseCanaryDenyRate", exp_alerts: [] },
            { eval_time: "40m", alertname: "GatehouseCanaryDenyRate", exp_alerts: [{ exp_labels: { severity: "page" }, exp_annotations: { summary: CANARY_SUMMARY } }] },
            { eval_time: "40m", alertname: "GatehouseCanaryRolledBack", exp_alerts: [] },
            { eval_time: "52m", alertname: "GatehouseCanaryRolledBack", exp_alerts: [{ exp_labels: { severity: "ticket" }, exp_annotations: { summary: "An instance rolled the canary candidate back: its `rollback` audit event names the rule and the evidence" } }] },
          ],
        },
      ],
    }));
    const test = promtool("test", "rules", "rules.test.yaml");
    expect(test.stdout + test.stderr).toContain("SUCCESS");
    expect(test.status).toBe(0);
  });

  it("writes the CloudWatch resources and both dashboards", async () => {
    expect((await runSlo(["--out", dir])).code).toBe(0);
    const cloudwatch = parse(readFileSync(join(dir, "cloudwatch-alarms.yaml"), "utf8")) as { Resources: Record<string, { Type: string }> };
    expect(Object.values(cloudwatch.Resources).map((r) => r.Type)).toEqual(expect.arrayContaining(["AWS::CloudWatch::Alarm", "AWS::CloudWatch::CompositeAlarm", "AWS::CloudWatch::Dashboard"]));
    const grafana = JSON.parse(readFileSync(join(dir, "grafana-dashboard.json"), "utf8")) as { panels: { title: string; targets: { expr: string }[] }[] };
    expect(grafana.panels.map((p) => p.title).join(" | ")).toMatch(/Success rate.*latency p95.*Deny rate by route.*Cache hit ratios.*Policy version.*Break-glass.*Revocation age.*Audit lines dropped.*Candidate policy set: disagreement rate/);
    const alarms = cloudwatch.Resources as Record<string, { Type: string; Properties: Record<string, unknown> }>;
    expect(alarms.GatehouseRevocationAgeAlarm.Properties).toMatchObject({ MetricName: "RevocationAge", Statistic: "Maximum", Threshold: 10_000 });
    expect(alarms.GatehouseAuditDroppedAlarm.Properties).toMatchObject({ MetricName: "AuditLinesDropped", Statistic: "Sum", Threshold: 0 });
    const dashboard = JSON.parse(readFileSync(join(dir, "cloudwatch-dashboard.json"), "utf8")) as { widgets: { properties: { title: string; metrics: unknown[][] } }[] };
    const widget = (title: string) => dashboard.widgets.find((w) => w.properties.title.startsWith(title))!;
    expect(widget("Revocation age").properties.metrics[0].slice(0, 2)).toEqual(["Gatehouse", "RevocationAge"]);
    expect(widget("Audit lines dropped").properties.metrics[0].slice(0, 2)).toEqual(["Gatehouse", "AuditLinesDropped"]);
    // every panel's query is PromQL promtool can parse (an expression-only rule file)
    writeFileSync(join(dir, "panels.yaml"), stringify({ groups: [{ name: "panels", rules: grafana.panels.flatMap((p, i) => p.targets.map((t, j) => ({ record: `panel:${i}_${j}`, expr: t.expr }))) }] }));
    if (hasPromtool) expect(promtool("check", "rules", "panels.yaml").status).toBe(0);
  });

  it("judges the fleet-wide canary alert by the config's rollback bounds, else the rule's defaults", async () => {
    const alertOf = () => (parse(readFileSync(join(dir, "prometheus-rules.yaml"), "utf8")) as { groups: { rules: { alert?: string; expr: string }[] }[] }).groups.flatMap((g) => g.rules).find((r) => r.alert === "GatehouseCanaryDenyRate")!;
    expect((await runSlo(["--out", dir])).code).toBe(0);
    expect(alertOf().expr).toMatch(/ > 0\.01 and .* >= 200$/);
    const config = join(dir, "rollout.json");
    writeFileSync(config, JSON.stringify({ rollout: { canary: { share: 0.1 }, rollback: { maxDenyRate: 0.05, minRequests: 50 } } }));
    expect((await runSlo(["--config", config, "--out", dir])).code).toBe(0);
    expect(alertOf().expr).toMatch(/ > 0\.05 and .* >= 50$/);
    writeFileSync(config, JSON.stringify({ rollout: { canary: { share: 2 } } }));
    const bad = await runSlo(["--config", config, "--out", dir]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^gatehouse slo: rollout\.canary\.share: /);
  });

  it("refuses a time-to-revoke objective below the revocation cache ttl, or off the age buckets", async () => {
    const config = join(dir, "ttl.json");
    writeFileSync(config, JSON.stringify({ revocation: { store: { kind: "memory" }, ttlMs: 30_000 }, slo: { revocationAgeSeconds: 10 } }));
    const below = await runSlo(["--config", config, "--out", dir]);
    expect(below.code).toBe(1);
    expect(below.stderr).toBe("gatehouse slo: slo.revocationAgeSeconds: expected at least the revocation cache ttl (`revocation.ttlMs`: 30000 ms), got `10` s");
    writeFileSync(config, JSON.stringify({ revocation: { store: { kind: "memory" }, ttlMs: 30_000 }, slo: { revocationAgeSeconds: 30 } }));
    expect((await runSlo(["--config", config, "--out", dir])).code).toBe(0);
    writeFileSync(config, JSON.stringify({ slo: { revocationAgeSeconds: 7 } }));
    const off = await runSlo(["--config", config, "--out", dir]);
    expect(off.code).toBe(1);
    expect(off.stderr).toMatch(/^gatehouse slo: slo\.revocationAgeSeconds: expected one of the revocation age bucket bounds \(1, 2, 5, 10, 30, 60, 120, 300, 600\), got `7`/);
  });

  it("refuses a bad slo section, naming the field", async () => {
    const config = join(dir, "bad.json");
    writeFileSync(config, JSON.stringify({ slo: { latencyThresholdMs: 7 } }));
    const run = await runSlo(["--config", config, "--out", dir]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^gatehouse slo: slo\.latencyThresholdMs: expected one of the latency bucket bounds/);
  });
});
