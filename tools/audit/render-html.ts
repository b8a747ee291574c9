import type { ReportOptions } from "./render-text.ts";
import type { AuditSummary, Count } from "./summarize.ts";

// A self-contained page: inline CSS and SVG, no scripts, no external assets, so it can be attached
// to a ticket or opened offline. Every string from the log is escaped (log lines are untrusted input).

const ALLOW = "#2e7d32";
const DENY = "#c62828";
const BAR = "#1565c0";
const ROW = 22;
const LABEL_W = 260;
const CHART_W = 720;

/** The report as one HTML page with the same figures as the text report, drawn as bar charts. */
export function renderHtmlReport(s: AuditSummary, options: ReportOptions = {}): string {
  const top = options.top ?? 10;
  const parts: string[] = [];
  parts.push(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Gatehouse audit report</title>`);
  parts.push(
    `<style>body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}h1{font-size:1.4em}h2{font-size:1.1em;margin-top:2em}` +
      `table{border-collapse:collapse}td,th{padding:2px 10px;text-align:right}td:first-child,th:first-child{text-align:left}` +
      `th{border-bottom:1px solid #999}.kpi{display:inline-block;margin-right:2em}.kpi b{font-size:1.4em;display:block}` +
      `svg text{font:12px system-ui,sans-serif}.none{color:#777}</style></head><body>`,
  );
  parts.push(`<h1>Gatehouse audit report</h1>`);
  if (s.firstTime) parts.push(`<p>${esc(s.firstTime)} to ${esc(s.lastTime ?? s.firstTime)}</p>`);
  parts.push(
    kpi("decisions", s.decisions) +
      kpi("allow", s.allow) +
      kpi("deny", s.deny) +
      kpi("malformed lines", s.malformed.count) +
      kpi("shadow disagreements", s.shadow.disagreements) +
      (s.dropped > 0 ? kpi("lines dropped by sinks", s.dropped) : "") +
      (s.sampledAllowLines > 0 ? kpi("allows (estimated, sampled)", s.estimatedAllow) : ""),
  );

  parts.push(`<h2>Decisions per route</h2>`);
  const routes = s.routes.slice(0, Math.max(top, 25));
  parts.push(stackedBars(routes.map((r) => ({ label: r.route, allow: r.allow, deny: r.deny }))));
  parts.push(
    `<table><tr><th>route</th><th>allow</th><th>deny</th><th>p50 µs</th><th>p95 µs</th><th>p99 µs</th></tr>` +
      routes
        .map((r) => `<tr><td>${esc(r.route)}</td><td>${r.allow}</td><td>${r.deny}</td><td>${r.latencyUs.p50}</td><td>${r.latencyUs.p95}</td><td>${r.latencyUs.p99}</td></tr>`)
        .join("") +
      `</table>`,
  );

  parts.push(`<h2>Top deny reasons</h2>`, bars(s.denyReasons.slice(0, top), DENY));
  parts.push(`<h2>Top deny policies</h2>`, bars(s.denyPolicies.slice(0, top), DENY));
  parts.push(`<h2>Auth error codes</h2>`, bars(s.authErrors.slice(0, top), DENY));
  parts.push(`<h2>Policy errors</h2>`, bars(s.policyErrors.slice(0, top), BAR));

  parts.push(`<h2>Latency (µs)</h2>`);
  const stages: Array<[string, AuditSummary["latencyUs"]["total"]]> = [
    ["total", s.latencyUs.total],
    ["verify", s.latencyUs.verify],
    ["revocation", s.latencyUs.revocation],
    ["eval", s.latencyUs.eval],
  ];
  parts.push(
    bars(
      stages.flatMap(([name, p]) => [
        { key: `${name} p50`, count: p.p50 },
        { key: `${name} p95`, count: p.p95 },
        { key: `${name} p99`, count: p.p99 },
      ]),
      BAR,
    ),
  );

  parts.push(`<h2>Shadow policies</h2>`);
  if (s.shadow.evaluated === 0) {
    parts.push(`<p class="none">no shadow evaluations</p>`);
  } else {
    parts.push(
      `<p>${s.shadow.evaluated} evaluated, ${s.shadow.disagreements} disagree: ${s.shadow.allowToDeny} allow→deny, ${s.shadow.denyToAllow} deny→allow</p>`,
    );
    parts.push(`<h3>Disagreements by route</h3>`, bars(s.shadow.byRoute.slice(0, top).map((r) => ({ key: r.route, count: r.disagreements })), DENY));
    parts.push(`<h3>Disagreements by policy</h3>`, bars(s.shadow.byPolicy.slice(0, top), DENY));
  }
  parts.push(`</body></html>\n`);
  return parts.join("\n");
}

function kpi(label: string, value: number): string {
  return `<span class="kpi"><b>${value}</b>${esc(label)}</span>`;
}

function bars(rows: Count[], color: string): string {
  if (rows.length === 0) return `<p class="none">none</p>`;
  const max = Math.max(1, ...rows.map((r) => r.count));
  const plot = CHART_W - LABEL_W - 80;
  const body = rows
    .map((r, i) => {
      const y = i * ROW;
      const w = Math.max(r.count > 0 ? 1 : 0, Math.round((plot * r.count) / max));
      return (
        `<text x="${LABEL_W - 8}" y="${y + 15}" text-anchor="end">${esc(short(r.key))}</text>` +
        `<rect x="${LABEL_W}" y="${y + 3}" width="${w}" height="${ROW - 6}" fill="${color}"><title>${esc(r.key)}: ${r.count}</title></rect>` +
        `<text x="${LABEL_W + w + 6}" y="${y + 15}">${r.count}</text>`
      );
    })
    .join("");
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${CHART_W}" height="${rows.length * ROW}" role="img">${body}</svg>`;
}

function stackedBars(rows: Array<{ label: string; allow: number; deny: number }>): string {
  if (rows.length === 0) return `<p class="none">none</p>`;
  const max = Math.max(1, ...rows.map((r) => r.allow + r.deny));
  const plot = CHART_W - LABEL_W - 120;
  const body = rows
    .map((r, i) => {
      const y = i * ROW;
      const a = Math.round((plot * r.allow) / max);
      const d = Math.round((plot * r.deny) / max);
      return (
        `<text x="${LABEL_W - 8}" y="${y + 15}" text-anchor="end">${esc(short(r.label))}</text>` +
        `<rect x="${LABEL_W}" y="${y + 3}" width="${a}" height="${ROW - 6}" fill="${ALLOW}"><title>allow: ${r.allow}</title></rect>` +
        `<rect x="${LABEL_W + a}" y="${y + 3}" width="${d}" height="${ROW - 6}" fill="${DENY}"><title>deny: ${r.deny}</title></rect>` +
        `<text x="${LABEL_W + a + d + 6}" y="${y + 15}">${r.allow} / ${r.deny}</text>`
      );
    })
    .join("");
  const legend =
    `<p><svg width="12" height="12"><rect width="12" height="12" fill="${ALLOW}"/></svg> allow ` +
    `<svg width="12" height="12"><rect width="12" height="12" fill="${DENY}"/></svg> deny</p>`;
  return legend + `<svg xmlns="http://www.w3.org/2000/svg" width="${CHART_W}" height="${rows.length * ROW}" role="img">${body}</svg>`;
}

function short(s: string): string {
  return s.length > 40 ? s.slice(0, 39) + "…" : s;
}

/** Escapes text for HTML element content and attribute values. */
export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => (c === "&" ? "&amp;" : c === "<" ? "&lt;" : c === ">" ? "&gt;" : c === '"' ? "&quot;" : "&#39;"));
}
