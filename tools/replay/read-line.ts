// One audit line read for replay (#18): the recorded decision and what deciding it again needs, or
// why it cannot be decided again. Log lines are untrusted input: every field is checked.
import type { EntityJson } from "../../shared/policy/index.ts";

/** A line that reached the policies and carries its replay facts. */
export interface ReplayCase {
  readonly kind: "case";
  /** 1-based line number in the input. */
  readonly line: number;
  readonly decisionId: string;
  readonly time: string;
  readonly platform: "worker" | "lambda" | "node";
  readonly method: string;
  readonly path: string;
  readonly route: string | null;
  readonly action: string | null;
  readonly principalText: string;
  readonly decision: "allow" | "deny";
  readonly reasons: readonly string[];
  readonly principal: EntityJson & { readonly uid: { readonly type: string; readonly id: string } };
  readonly context: Readonly<Record<string, unknown>>;
  /** The decision time, from the context (ms since the epoch). */
  readonly nowMs: number;
}

/** Why a line could not be decided again; stable codes the report counts. */
export type UnreplayableReason =
  | "no_replay_facts" // the policies decided it, but the line has no `replay` (audit.replay was off)
  | "ip_withheld" // the context had a client address the audit config withheld (clientIp is not `keep`)
  | "too_large" // the principal or context was too large to write
  | "path_cut" // the path was cut to maxFieldLength
  | "bad_replay_facts"; // the `replay` field is not what a Gatehouse line writes

export type ReadLine =
  | ReplayCase
  | { readonly kind: "unreplayable"; readonly line: number; readonly reason: UnreplayableReason; readonly decisionId: string }
  /** A decision the policies did not make (public route, token refusal, no route, …): no policy change alters it. */
  | { readonly kind: "not_policy"; readonly line: number; readonly reason: string }
  | { readonly kind: "malformed"; readonly line: number };

type Json = Record<string, unknown>;

/** Reads one line (`lineNo` 1-based); blank lines are the caller's to skip. */
export function readAuditLine(text: string, lineNo: number): ReadLine {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { kind: "malformed", line: lineNo };
  }
  if (!isObject(value) || typeof value.decision_id !== "string" || (value.decision !== "allow" && value.decision !== "deny")) return { kind: "malformed", line: lineNo };
  const r = value;
  const decisionId = r.decision_id as string;
  // Only lines the policies decided carry an action; the others end before the policy stage
  if (typeof r.action !== "string") return { kind: "not_policy", line: lineNo, reason: typeof r.decision_reason === "string" ? r.decision_reason : "unknown" };
  const unreplayable = (reason: UnreplayableReason): ReadLine => ({ kind: "unreplayable", line: lineNo, reason, decisionId });
  if (!isObject(r.replay)) return unreplayable("no_replay_facts");
  const replay = r.replay;
  const omitted = Array.isArray(replay.omitted) ? replay.omitted : [];
  if (omitted.includes("too_large")) return unreplayable("too_large");
  if (omitted.includes("ip")) return unreplayable("ip_withheld");
  const principal = entityOf(replay.principal);
  const context = replay.context;
  if (principal === null || !isObject(context)) return unreplayable("bad_replay_facts");
  const nowMs = timeOf(context.time);
  if (nowMs === null || typeof r.method !== "string" || typeof r.path !== "string") return unreplayable("bad_replay_facts");
  if (r.path.endsWith("…")) return unreplayable("path_cut");
  const platform = r.platform === "lambda" || r.platform === "node" ? r.platform : "worker";
  return {
    kind: "case",
    line: lineNo,
    decisionId,
    time: typeof r.time === "string" ? r.time : "",
    platform,
    method: r.method,
    path: r.path,
    route: typeof r.route === "string" ? r.route : null,
    action: r.action,
    principalText: `${principal.uid.type}::${JSON.stringify(principal.uid.id)}`,
    decision: r.decision as "allow" | "deny",
    reasons: Array.isArray(r.reasons) ? r.reasons.filter((id): id is string => typeof id === "string") : [],
    principal,
    context,
    nowMs,
  };
}

function entityOf(value: unknown): ReplayCase["principal"] | null {
  if (!isObject(value) || !isUid(value.uid) || !isObject(value.attrs) || !Array.isArray(value.parents) || !value.parents.every(isUid)) return null;
  return { uid: { type: value.uid.type, id: value.uid.id }, attrs: value.attrs as EntityJson["attrs"], parents: value.parents as { type: string; id: string }[] };
}

function isUid(value: unknown): value is { type: string; id: string } {
  return isObject(value) && typeof value.type === "string" && typeof value.id === "string";
}

function timeOf(value: unknown): number | null {
  if (!isObject(value) || !isObject(value.__extn) || value.__extn.fn !== "datetime" || typeof value.__extn.arg !== "string") return null;
  const ms = Date.parse(value.__extn.arg);
  return Number.isFinite(ms) ? ms : null;
}

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
