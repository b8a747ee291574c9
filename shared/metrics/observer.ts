import type { DecisionFacts } from "../audit/facts.ts";
import type { AuditPlatform } from "../audit/record.ts";

/**
 * Where decision metrics go (issue #19). The audit logger hands each decision's facts here, the same
 * object it writes the audit line from, before sampling: metrics count every decision and keep no
 * books of their own. Implementations read only low-cardinality facts (route name, decision, reason,
 * platform, policy version, latency, cache hits, break-glass), never the principal, tenant or path.
 *
 * Invariant: `observe` never throws and never waits on I/O (the logger also guards against it).
 */
export interface DecisionMetrics {
  /**
   * Counts one decision. Called once per audit line, refusals included. `traceId` is the trace id the
   * logger already read for the line (`facts.traceId` or the headers'); when absent, read it from the facts.
   */
  observe(facts: DecisionFacts, platform: AuditPlatform, policyVersion: string | null, traceId?: string | null): void;
  /**
   * Counts audit lines lost after sampling chose to keep them (`audit_lines_dropped`): a sink's
   * drops (full buffer, failed or late batch, closed stream) or a line the logger failed to build.
   * `total` is `source`'s running count (see `droppedTally`); the logger reports a sink's count at
   * the next decision or flush. Optional, so an emitter without it counts no drops.
   */
  auditDropped?(source: object, total: number): void;
  /**
   * Counts one canary rollback this isolate performed (`canary_rollbacks`), called as its `rollback`
   * audit event is written; `rule` is the event's (`deny_rate`, `forbid_error`, `shared_flag`).
   * Optional, so an emitter without it counts no rollbacks.
   */
  canaryRollback?(rule: string): void;
  /** Emits what was aggregated (EMF lines) or sends what was buffered; never rejects. */
  flush(): Promise<void>;
}

/** The labels a decision is counted under; never principal, tenant or path values. */
export interface DecisionLabels {
  /** The matched route's name, or `none` when no route matched (refusals, unmatched paths). */
  readonly route: string;
  readonly decision: "allow" | "deny";
  /** The `DecisionReason` code; the set grows with the union, no list is kept here. */
  readonly reason: string;
  readonly platform: AuditPlatform;
  /** The enforced policy bundle's version, or `none`. */
  readonly policyVersion: string;
}

/** The route label of a decision. */
export function routeLabel(facts: DecisionFacts): string {
  return typeof facts.route === "string" && facts.route.length > 0 ? facts.route : "none";
}

/**
 * The stable policy set's decision, which a candidate's (`facts.shadow`) is compared with: on a canary
 * request the stable set's answer whichever set decided, else the enforced one; as the audit line's `shadow.agrees`.
 */
export function stableDecision(facts: DecisionFacts): "allow" | "deny" {
  const canary = facts.canary;
  return canary != null ? canary.stable.decision : facts.policy != null ? facts.policy.decision : facts.decision;
}
