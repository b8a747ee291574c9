// #19: `gatehouse slo` writes burn-rate alerts and dashboards from the `slo` section. The Prometheus
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

describe("gatehouse slo", () => {
  it.skipIf(!hasPromtool)("writes rules that promtool accepts, and alerts that fire when they should", async () => {
    const config = join(dir, "config.json");
    writeFileSync(config, JSON.stringify({ slo: { availability: 0.999, latency: 0.95, latencyThresholdMs: 5 } }));
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
    expect(grafana.panels.map((p) => p.title).join(" | ")).toMatch(/Success rate.*latency p95.*Deny rate by route.*Cache hit ratios.*Policy version.*Break-glass/);
    // every panel's query is PromQL promtool can parse (an expression-only rule file)
    writeFileSync(join(dir, "panels.yaml"), stringify({ groups: [{ name: "panels", rules: grafana.panels.flatMap((p, i) => p.targets.map((t, j) => ({ record: `panel:${i}_${j}`, expr: t.expr }))) }] }));
    if (hasPromtool) expect(promtool("check", "rules", "panels.yaml").status).toBe(0);
  });

  it("refuses a bad slo section, naming the field", async () => {
    const config = join(dir, "bad.json");
    writeFileSync(config, JSON.stringify({ slo: { latencyThresholdMs: 7 } }));
    const run = await runSlo(["--config", config, "--out", dir]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^gatehouse slo: slo\.latencyThresholdMs: expected one of the latency bucket bounds/);
  });
});
