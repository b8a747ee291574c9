import { esc } from "../audit/render-html.ts";
import type { ReplayReport } from "./replay.ts";
import { notReplayedText } from "./render-text.ts";

/** The replay report as one self-contained HTML page (no scripts, every logged string escaped, like `audit report --html`). */
export function renderReplayHtml(report: ReplayReport): string {
  const parts: string[] = [];
  parts.push(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Gatehouse replay</title>`);
  parts.push(
    `<style>body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}h1{font-size:1.4em}h2{font-size:1.1em;margin-top:2em}` +
      `table{border-collapse:collapse}td,th{padding:2px 10px;text-align:left;vertical-align:top}th{border-bottom:1px solid #999}` +
      `.kpi{display:inline-block;margin-right:2em}.kpi b{font-size:1.4em;display:block}.deny{color:#c62828}.allow{color:#2e7d32}.none{color:#777}</style></head><body>`,
  );
  parts.push(`<h1>Gatehouse replay</h1>`);
  parts.push(kpi("replayed", report.replayed) + kpi("changed", report.changed) + kpi("allow→deny", report.allowToDeny) + kpi("deny→allow", report.denyToAllow) + kpi("not replayed", report.policyDecisions - report.replayed));
  parts.push(`<p>baseline: ${report.baseline === "recorded" ? "the recorded decisions" : "the --against project"}</p>`);
  parts.push(`<h2>Changed decisions by route, action and policy</h2>`);
  if (report.groups.length === 0) {
    parts.push(`<p class="none">none</p>`);
  } else {
    parts.push(
      `<table><tr><th>change</th><th>count</th><th>route</th><th>action</th><th>policies</th><th>examples</th></tr>` +
        report.groups
          .map((g) => {
            const examples = g.examples.map((e) => `${esc(e.method)} ${esc(e.path)} as ${esc(e.principal)} <span class="none">(line ${e.line})</span>`).join("<br>");
            return `<tr><td class="${g.change === "allow→deny" ? "deny" : "allow"}">${g.change}</td><td>${g.count}</td><td>${esc(g.route)}</td><td>${esc(g.action)}</td><td>${esc(g.policies.join(" ")) || "(same policies)"}</td><td>${examples}</td></tr>`;
          })
          .join("") +
        `</table>`,
    );
  }
  parts.push(`<h2>Not replayed</h2>`);
  parts.push(
    report.notReplayed.length === 0
      ? `<p class="none">none</p>`
      : `<table><tr><th>why</th><th>lines</th></tr>` + report.notReplayed.map((n) => `<tr><td>${esc(notReplayedText(n.reason))}</td><td>${n.count}</td></tr>`).join("") + `</table>`,
  );
  parts.push(`</body></html>\n`);
  return parts.join("\n");
}

function kpi(label: string, value: number): string {
  return `<span class="kpi"><b>${value}</b>${esc(label)}</span>`;
}
