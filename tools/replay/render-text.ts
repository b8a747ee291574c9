import type { ReplayReport } from "./replay.ts";

const NOT_REPLAYED: Readonly<Record<string, string>> = {
  no_replay_facts: "no `replay` field (audit.replay was off)",
  ip_withheld: "client address withheld (audit.clientIp is not `keep`)",
  too_large: "principal or context too large to record",
  path_cut: "path cut to audit.maxFieldLength",
  bad_replay_facts: "`replay` field not as Gatehouse writes it",
};

/** What a reason code of `notReplayed` means, for people. */
export function notReplayedText(reason: string): string {
  return NOT_REPLAYED[reason] ?? reason;
}

/** The replay report as plain text. */
export function renderReplayText(report: ReplayReport): string {
  const out: string[] = ["gatehouse replay", ""];
  out.push(`lines:      ${report.lines} read, ${report.policyDecisions} decided by the policies, ${report.replayed} replayed` + (report.malformed.count > 0 ? `, ${report.malformed.count} malformed (line ${report.malformed.firstLines.join(", ")})` : ""));
  out.push(`baseline:   ${report.baseline === "recorded" ? "the recorded decisions" : "the --against project"}`);
  out.push(`changed:    ${report.changed} (${report.allowToDeny} allow→deny, ${report.denyToAllow} deny→allow)`);
  if (report.groups.length > 0) {
    out.push("", "changed decisions by route, action and policy");
    for (const group of report.groups) {
      out.push(`  ${group.change}  ${group.count}  ${group.route}  ${group.action}  ${group.policies.length > 0 ? group.policies.join(" ") : "(same policies)"}`);
      for (const example of group.examples) out.push(`      e.g. ${example.method} ${example.path} as ${example.principal} (line ${example.line}, ${example.decisionId})`);
    }
  }
  if (report.notReplayed.length > 0) {
    out.push("", "not replayed");
    for (const entry of report.notReplayed) out.push(`  ${entry.count}  ${notReplayedText(entry.reason)}  (line ${entry.firstLines.join(", ")}${entry.count > entry.firstLines.length ? ", …" : ""})`);
  }
  if (report.errors.count > 0) out.push("", `replay errors: ${report.errors.count} (line ${report.errors.firstLines.join(", ")})${report.errors.message === null ? "" : `: ${report.errors.message}`}`);
  if (report.notPolicyDecisions.length > 0) {
    out.push("", "decided before the policies (no policy change alters them)");
    for (const entry of report.notPolicyDecisions) out.push(`  ${entry.count}  ${entry.reason}`);
  }
  return out.join("\n") + "\n";
}
