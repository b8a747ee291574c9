// What the canary and shadow metrics must count, read from the audit stream alone (decision lines and
// `rollback` events), so a metrics test compares the emitter with the audit lines, not with itself.

/** Counts keyed by label values joined with `/`. */
export interface CandidateCounts {
  /** `route/decision/mode` → decisions where the candidate was evaluated (`mode`: `canary` it decided, `shadow` it did not). */
  readonly requests: Readonly<Record<string, number>>;
  /** `route/decision/mode/direction` → of them, those where the candidate disagreed (`shadow.agrees: false`). */
  readonly disagreements: Readonly<Record<string, number>>;
  /** `rule` → rollback events. */
  readonly rollbacks: Readonly<Record<string, number>>;
}

export function candidateCountsOf(records: readonly Record<string, any>[]): CandidateCounts {
  const requests: Record<string, number> = {};
  const disagreements: Record<string, number> = {};
  const rollbacks: Record<string, number> = {};
  const bump = (map: Record<string, number>, key: string) => void (map[key] = (map[key] ?? 0) + 1);
  for (const r of records) {
    if (r.event === "rollback") {
      bump(rollbacks, r.rule);
      continue;
    }
    if (r.shadow == null) continue;
    const mode = r.canary?.enforced === "candidate" ? "canary" : "shadow";
    const key = `${r.route ?? "none"}/${r.decision}/${mode}`;
    bump(requests, key);
    if (r.shadow.agrees === false) {
      const stable = r.canary != null ? r.canary.stable_decision : r.decision;
      bump(disagreements, `${key}/${stable === "allow" ? "allow_to_deny" : "deny_to_allow"}`);
    }
  }
  return { requests, disagreements, rollbacks };
}
