import { describe, expect, it } from "vitest";
import { frozenClock } from "../../../shared/clock/index.ts";
import { createAuditLogger, memorySink } from "../../../shared/audit/index.ts";
import { percentiles, renderHtmlReport, renderTextReport, summarizeAuditLines } from "../../../tools/audit/index.ts";
import { NOW_MS, decisionPaths } from "../../shared/audit/fixtures.ts";

function linesFor(names: string[], config = {}, random = () => 0.1): string[] {
  const sink = memorySink();
  const logger = createAuditLogger(config, { platform: "node", sink, clock: frozenClock(NOW_MS), random, policyVersion: "v1", shadowPolicyVersion: "v2" });
  const paths = decisionPaths();
  for (const name of names) logger.log(paths[name]);
  return sink.lines;
}

describe("audit summary: figures", () => {
  it("counts decisions per route, deny reasons, deny policies and auth errors", async () => {
    const s = await summarizeAuditLines(
      linesFor(["allow_by_policy", "allow_by_policy", "deny_by_forbid", "deny_expired_token", "deny_expired_token", "deny_no_route", "allow_public_route"]),
    );
    expect(s).toMatchObject({ lines: 7, decisions: 7, allow: 3, deny: 4 });
    expect(s.routes).toEqual([
      expect.objectContaining({ route: "/tenants/:tenant/orders/:id", allow: 2, deny: 3 }),
      expect.objectContaining({ route: "(no route)", allow: 0, deny: 1 }),
      expect.objectContaining({ route: "/health", allow: 1, deny: 0 }),
    ]);
    expect(s.denyReasons).toEqual([
      { key: "expired", count: 2 },
      { key: "no_route", count: 1 },
      { key: "policy_denied", count: 1 },
    ]);
    expect(s.denyPolicies).toEqual([{ key: "block-suspended", count: 1 }]);
    expect(s.authErrors).toEqual([{ key: "expired", count: 2 }]);
  });

  it("computes nearest-rank latency percentiles per stage", async () => {
    const s = await summarizeAuditLines(linesFor(["allow_by_policy", "deny_revocation_unavailable_fail_closed", "deny_no_route"]));
    expect(s.latencyUs.total).toEqual({ count: 3, p50: 900, p95: 50600, p99: 50600, max: 50600 });
    expect(s.latencyUs.revocation).toMatchObject({ count: 2, p50: 412 });
    expect(s.failModes).toEqual([{ key: "closed", count: 1 }]);
  });

  it("percentiles() ranks by nearest rank", () => {
    const values = Array.from({ length: 100 }, (_, i) => 100 - i);
    expect(percentiles(values)).toEqual({ count: 100, p50: 50, p95: 95, p99: 99, max: 100 });
    expect(percentiles([])).toEqual({ count: 0, p50: 0, p95: 0, p99: 0, max: 0 });
  });

  it("finds shadow disagreements and names the policies on each side", async () => {
    const s = await summarizeAuditLines(linesFor(["allow_shadow_agrees", "allow_shadow_disagrees", "allow_shadow_disagrees"]));
    expect(s.shadow).toMatchObject({ evaluated: 3, disagreements: 2, allowToDeny: 2, denyToAllow: 0 });
    expect(s.shadow.byRoute).toEqual([{ route: "/tenants/:tenant/orders/:id", evaluated: 3, disagreements: 2 }]);
    expect(s.shadow.byPolicy).toEqual([
      { key: "candidate_error:orders-read-v2", count: 2 },
      { key: "enforced:orders-read", count: 2 },
    ]);
  });

  it("estimates the allow count from sampled lines", async () => {
    const lines = [...linesFor(["allow_by_policy", "allow_by_policy"], { allowSampleRate: 0.25 }), ...linesFor(["deny_by_forbid"])];
    const s = await summarizeAuditLines(lines);
    expect(s).toMatchObject({ allow: 2, deny: 1, sampledAllowLines: 2, estimatedAllow: 8 });
  });

  it("adds up lines sinks reported dropped", async () => {
    const line = JSON.parse(linesFor(["deny_no_route"])[0]);
    const s = await summarizeAuditLines([JSON.stringify({ ...line, audit_dropped: 4 }), JSON.stringify({ ...line, audit_dropped: 3 })]);
    expect(s.dropped).toBe(7);
  });
});

describe("audit summary: bad input", () => {
  it("counts and skips malformed lines with their line numbers, ignoring blank lines", async () => {
    const good = linesFor(["deny_no_route"])[0];
    const s = await summarizeAuditLines([good, "", "{not json", "[1,2]", '{"decision":"maybe"}', "null", good]);
    expect(s.decisions).toBe(2);
    expect(s.malformed).toEqual({ count: 4, firstLines: [3, 4, 5, 6] });
  });

  it("tolerates lines with missing or mistyped fields", async () => {
    const s = await summarizeAuditLines(['{"decision":"deny","reasons":"x","latency_us":{"total":"slow"},"shadow":{"decision":1}}']);
    expect(s).toMatchObject({ decisions: 1, deny: 1 });
    expect(s.denyReasons).toEqual([{ key: "unknown", count: 1 }]);
    expect(s.shadow.evaluated).toBe(0);
  });
});

describe("audit report: rendering", () => {
  it("prints every section in text", async () => {
    const text = renderTextReport(await summarizeAuditLines(linesFor(["allow_by_policy", "deny_by_forbid", "allow_shadow_disagrees"])));
    for (const heading of ["decisions per route", "top deny reasons", "top deny policies", "auth error codes", "latency, µs", "shadow policies"]) {
      expect(text).toContain(heading);
    }
    expect(text).toContain("1 disagree");
  });

  it("writes a self-contained HTML page with inline SVG charts", async () => {
    const html = renderHtmlReport(await summarizeAuditLines(linesFor(["allow_by_policy", "deny_by_forbid", "allow_shadow_disagrees"])));
    expect(html.startsWith("<!doctype html>")).toBe(true);
    expect(html).toContain("<svg");
    expect(html).not.toMatch(/<script|<link|src=|href=|@import|url\(/i);
  });

  it("escapes route names and codes from the log (security)", async () => {
    const line = JSON.parse(linesFor(["deny_no_route"])[0]);
    const hostile = JSON.stringify({ ...line, route: "<script>alert(1)</script>", decision_reason: '"><img src=x onerror=alert(1)>' });
    const summary = await summarizeAuditLines([hostile]);
    const html = renderHtmlReport(summary);
    expect(html).not.toContain("<script>");
    expect(html).not.toContain("<img");
    expect(html).toContain("&lt;script&gt;");
    const text = renderTextReport(await summarizeAuditLines([JSON.stringify({ ...line, route: "evil\u001b[2J" })]));
    expect(text).not.toContain("\u001b");
  });
});
