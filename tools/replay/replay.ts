// `gatehouse replay` (#18): decide recorded requests again with a candidate project and list the
// decisions that would change, grouped by route, action and the policies that made the difference.
import type { DecideSetup } from "../policy-test/types.ts";
import { createRedecide, type Redecide } from "./decide.ts";
import { readAuditLine, type ReplayCase, type UnreplayableReason } from "./read-line.ts";

export type Change = "allow→deny" | "deny→allow";

/** One decision that changes. */
export interface ChangedDecision {
  readonly line: number;
  readonly decisionId: string;
  readonly time: string;
  readonly method: string;
  readonly path: string;
  readonly principal: string;
  /** The route the request matches under the candidate (the recorded one when it matches none). */
  readonly route: string;
  readonly action: string;
  readonly change: Change;
  /** The policies that decided before (recorded, or `--against`) and after (candidate). */
  readonly before: readonly string[];
  readonly after: readonly string[];
  /** The candidate's reason code (`policy_denied`, `forbid_error`, `no_route`, `allowed`, …). */
  readonly reason: string;
}

/** Changes that share route, action, direction and deciding policies, with a few example requests. */
export interface ChangeGroup {
  readonly route: string;
  readonly action: string;
  readonly change: Change;
  /** `before:<id>` decided before but not after, `after:<id>` the reverse (as in the shadow report). */
  readonly policies: readonly string[];
  count: number;
  readonly examples: ChangedDecision[];
}

export interface ReplayReport {
  /** Non-blank lines read. */
  readonly lines: number;
  /** Audit lines the policies decided, replayed or not. */
  readonly policyDecisions: number;
  readonly replayed: number;
  readonly changed: number;
  readonly allowToDeny: number;
  readonly denyToAllow: number;
  /** Baseline: `recorded` (the line's decision) or `against` (decided again with `--against`). */
  readonly baseline: "recorded" | "against";
  readonly groups: ChangeGroup[];
  /** Every changed decision, in input order. */
  readonly changes: ChangedDecision[];
  /** Lines the policies decided that could not be decided again, by reason. */
  readonly notReplayed: { reason: UnreplayableReason; count: number; firstLines: number[] }[];
  /** Decisions made before the policies (public route, token refusal, no route), by reason: no policy change alters them. */
  readonly notPolicyDecisions: { reason: string; count: number }[];
  readonly malformed: { count: number; firstLines: number[] };
  /** Replayed lines the replay pipeline failed on (`internal_error`), with the first message. */
  readonly errors: { count: number; firstLines: number[]; message: string | null };
}

export interface ReplayOptions {
  /** The candidate project, compiled (`prepareProject`). */
  readonly candidate: DecideSetup;
  /** A baseline project decided again instead of the recorded decision; default the recorded one. */
  readonly against?: DecideSetup;
  /** Examples kept per group; default 3. */
  readonly examples?: number;
}

const FIRST = 10;

/** Replays every line of `lines` (an async or sync iterable of text lines). */
export async function replayAuditLines(lines: AsyncIterable<string> | Iterable<string>, options: ReplayOptions): Promise<ReplayReport> {
  const candidate = createRedecide(options.candidate);
  const against: Redecide | null = options.against === undefined ? null : createRedecide(options.against);
  const examples = options.examples ?? 3;
  const groups = new Map<string, ChangeGroup>();
  const changes: ChangedDecision[] = [];
  const notReplayed = new Map<UnreplayableReason, { count: number; firstLines: number[] }>();
  const notPolicy = new Map<string, number>();
  const malformed = { count: 0, firstLines: [] as number[] };
  const errors = { count: 0, firstLines: [] as number[], message: null as string | null };
  let lineNo = 0;
  let read = 0;
  let policyDecisions = 0;
  let replayed = 0;
  for await (const text of lines) {
    lineNo++;
    if (text.trim() === "") continue;
    read++;
    const line = readAuditLine(text, lineNo);
    if (line.kind === "malformed") {
      malformed.count++;
      if (malformed.firstLines.length < FIRST) malformed.firstLines.push(lineNo);
      continue;
    }
    if (line.kind === "not_policy") {
      notPolicy.set(line.reason, (notPolicy.get(line.reason) ?? 0) + 1);
      continue;
    }
    policyDecisions++;
    if (line.kind === "unreplayable") {
      let entry = notReplayed.get(line.reason);
      if (entry === undefined) notReplayed.set(line.reason, (entry = { count: 0, firstLines: [] }));
      entry.count++;
      if (entry.firstLines.length < FIRST) entry.firstLines.push(lineNo);
      continue;
    }
    const after = candidate(line);
    const before = against === null ? { decision: line.decision, reasons: line.reasons, reason: "", message: undefined } : against(line);
    const failed = after.reason === "internal_error" ? after : before.reason === "internal_error" ? before : null;
    if (failed !== null) {
      errors.count++;
      if (errors.firstLines.length < FIRST) errors.firstLines.push(lineNo);
      errors.message ??= failed.message ?? null;
      continue;
    }
    replayed++;
    if (after.decision === before.decision) continue;
    const change = changedDecision(line, before.reasons, after);
    changes.push(change);
    const policies = policyDifference(change.before, change.after);
    const key = JSON.stringify([change.route, change.action, change.change, policies]);
    let group = groups.get(key);
    if (group === undefined) groups.set(key, (group = { route: change.route, action: change.action, change: change.change, policies, count: 0, examples: [] }));
    group.count++;
    if (group.examples.length < examples) group.examples.push(change);
  }
  const allowToDeny = changes.filter((c) => c.change === "allow→deny").length;
  return {
    lines: read,
    policyDecisions,
    replayed,
    changed: changes.length,
    allowToDeny,
    denyToAllow: changes.length - allowToDeny,
    baseline: against === null ? "recorded" : "against",
    groups: [...groups.values()].sort((a, b) => b.count - a.count || a.route.localeCompare(b.route) || a.action.localeCompare(b.action)),
    changes,
    notReplayed: [...notReplayed].map(([reason, entry]) => ({ reason, ...entry })).sort((a, b) => b.count - a.count),
    notPolicyDecisions: [...notPolicy].map(([reason, count]) => ({ reason, count })).sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason)),
    malformed,
    errors,
  };
}

function changedDecision(line: ReplayCase, before: readonly string[], after: ReturnType<Redecide>): ChangedDecision {
  return {
    line: line.line,
    decisionId: line.decisionId,
    time: line.time,
    method: line.method,
    path: line.path,
    principal: line.principalText,
    route: after.route ?? line.route ?? "(no route)",
    action: line.action ?? "",
    change: after.decision === "deny" ? "allow→deny" : "deny→allow",
    before,
    after: after.reasons,
    reason: after.reason,
  };
}

function policyDifference(before: readonly string[], after: readonly string[]): string[] {
  const out: string[] = [];
  for (const id of before) if (!after.includes(id)) out.push(`before:${id}`);
  for (const id of after) if (!before.includes(id)) out.push(`after:${id}`);
  return out.sort();
}
