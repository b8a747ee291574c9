import type { AuditSummary, Count, Percentiles } from "./summarize.ts";

/** Options for the text and HTML reports. */
export interface ReportOptions {
  /** Rows shown per ranked list; default 10. */
  readonly top?: number;
}

/** The report as plain text, one section per figure. */
export function renderTextReport(s: AuditSummary, options: ReportOptions = {}): string {
  const top = options.top ?? 10;
  const out: string[] = [];
  const malformed = s.malformed.count > 0 ? `, ${s.malformed.count} malformed (line ${s.malformed.firstLines.join(", ")}${s.malformed.count > s.malformed.firstLines.length ? ", …" : ""})` : "";
  out.push("gatehouse audit report", "");
  out.push(`lines:      ${s.lines} read, ${s.decisions} decisions${malformed}`);
  if (s.firstTime) out.push(`period:     ${clean(s.firstTime)} to ${clean(s.lastTime ?? s.firstTime)}`);
  out.push(`decisions:  ${s.allow} allow, ${s.deny} deny${s.decisions > 0 ? ` (${pct(s.deny, s.decisions)} denied)` : ""}`);
  if (s.sampledAllowLines > 0) out.push(`sampling:   ${s.sampledAllowLines} sampled allow lines; about ${s.estimatedAllow} allows in all`);
  if (s.dropped > 0) out.push(`dropped:    ${s.dropped} lines reported lost by audit sinks`);

  out.push("", "decisions per route");
  out.push(
    ...table(
      ["route", "allow", "deny", "deny %", "p50 µs", "p95 µs", "p99 µs"],
      s.routes.slice(0, Math.max(top, 25)).map((r) => [r.route, r.allow, r.deny, pct(r.deny, r.allow + r.deny), r.latencyUs.p50, r.latencyUs.p95, r.latencyUs.p99]),
    ),
  );

  section(out, "top deny reasons", s.denyReasons, top);
  section(out, "top deny policies", s.denyPolicies, top);
  section(out, "auth error codes", s.authErrors, top);
  section(out, "policy errors (by policy)", s.policyErrors, top);
  section(out, "fail modes used", s.failModes, top);

  out.push("", "latency, µs");
  const stage = (name: string, p: Percentiles) => [name, p.count, p.p50, p.p95, p.p99, p.max];
  out.push(
    ...table(
      ["stage", "count", "p50", "p95", "p99", "max"],
      [stage("total", s.latencyUs.total), stage("verify", s.latencyUs.verify), stage("revocation", s.latencyUs.revocation), stage("eval", s.latencyUs.eval)],
    ),
  );

  out.push("", "shadow policies");
  if (s.shadow.evaluated === 0) {
    out.push("  (no shadow evaluations)");
  } else {
    out.push(
      `  ${s.shadow.evaluated} evaluated, ${s.shadow.disagreements} disagree (${pct(s.shadow.disagreements, s.shadow.evaluated)}): ` +
        `${s.shadow.allowToDeny} allow→deny, ${s.shadow.denyToAllow} deny→allow`,
    );
    out.push("", "  disagreements by route");
    out.push(...table(["route", "evaluated", "disagree"], s.shadow.byRoute.slice(0, top).map((r) => [r.route, r.evaluated, r.disagreements]), "    "));
    out.push("", "  disagreements by policy (side:policy)");
    out.push(...table(["policy", "lines"], s.shadow.byPolicy.slice(0, top).map((c) => [c.key, c.count]), "    "));
  }
  // Only when a canary rollout wrote lines
  if (s.canary.lines > 0 || s.canary.rollbacks.length > 0) {
    out.push("", "canary rollout");
    out.push(`  ${s.canary.lines} canary lines, ${s.canary.candidateEnforced} decided by the candidate, ${s.canary.candidateDenies} of them denies the stable set would allow`);
    for (const r of s.canary.rollbacks) out.push(`  rolled back at ${clean(r.time ?? "?")}: rule ${clean(r.rule)}, candidate ${clean(r.candidateVersion ?? "?")}`);
  }
  return out.join("\n") + "\n";
}

function section(out: string[], title: string, counts: Count[], top: number): void {
  out.push("", title);
  out.push(...table(["", "count"], counts.slice(0, top).map((c) => [c.key, c.count])).slice(1));
  if (counts.length > top) out.push(`  … and ${counts.length - top} more`);
}

function table(header: string[], rows: Array<Array<string | number>>, indent = "  "): string[] {
  if (rows.length === 0) return [header.join("  "), `${indent}(none)`];
  const cells = [header, ...rows.map((r) => r.map((c) => clean(String(c))))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => r[i].length)));
  return cells.map(
    (r) =>
      indent +
      r
        .map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i])))
        .join("  ")
        .trimEnd(),
  );
}

function pct(part: number, whole: number): string {
  return whole === 0 ? "0%" : `${((100 * part) / whole).toFixed(1)}%`;
}

// Route names and codes come from log files: strip control characters so they cannot drive the terminal.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;

function clean(s: string): string {
  return s.replace(CONTROL, "?");
}
