import type { Clock } from "../clock/index.ts";
import type { CompiledPolicySet, PolicyResult } from "../policy/types.ts";
import type { ResolvedRolloutConfig } from "./config.ts";
import type { RollbackEvent, RollbackRule } from "./rollback-event.ts";
import type { SharedRollbackFlag } from "./shared-flag.ts";
import { slicePosition } from "./slice.ts";
import { createSlidingCounts, type SlidingCounts } from "./window.ts";

/**
 * The canary of one isolate (#18): which principals the candidate decides for, the rollback rule's
 * window, and whether it has fired. Policy sets are values: `setCandidate` puts a new one in place
 * (a new version draws a new slice and starts un-rolled-back), and the stable set is the caller's.
 */
export interface Canary {
  /** The candidate set evaluated on every canary request. */
  readonly candidate: CompiledPolicySet;
  readonly candidateVersion: string;
  /** Whether this candidate was rolled back; it then enforces nowhere until another version arrives. */
  readonly rolledBack: boolean;
  /** Whether the candidate decides for this principal (its tenant listed, or its slice position under the share). */
  selects(uid: { readonly type: string; readonly id: string }, tenant: string | undefined): boolean;
  /**
   * Records one canary request's two answers and applies the rollback rule; answers whether the
   * candidate still enforces (false once the rule fired, on this very request too).
   */
  observe(stable: PolicyResult, candidate: PolicyResult, decisionId: string): boolean;
  /** Reads the shared rollback flag when its TTL has passed, off the request path. */
  poll(): void;
  /**
   * Resolves when the shared flag's reads and writes in flight have ended; never rejects. The
   * authorizer's `flush` includes it, so a Worker's `waitUntil` keeps them alive past the response.
   */
  settle(): Promise<void>;
  setCandidate(candidate: CompiledPolicySet): void;
  /** Runs `listener` after each `setCandidate`, so what the pipeline worked out from the candidate follows it. */
  onCandidate(listener: (candidate: CompiledPolicySet) => void): void;
}

export interface CanaryDeps {
  readonly config: ResolvedRolloutConfig;
  readonly candidate: CompiledPolicySet;
  /** The stable set's version, for the rollback event. */
  readonly stableVersion: string | null;
  /** The authorizer's one clock: the window and the shared flag's TTL read it. */
  readonly clock: Clock;
  /** Writes the rollback event to the audit sink. */
  readonly writeEvent: (event: RollbackEvent) => void;
  readonly shared?: SharedRollbackFlag | null;
}

// Principals seen recently keep their answer: the uid object of a cached token is reused (#22)
const MEMO_LIMIT = 4096;

export function createCanary(deps: CanaryDeps): Canary {
  const { config, clock } = deps;
  const rule = config.rollback;
  let candidate = deps.candidate;
  let version = versionOf(candidate);
  let forbids = forbidIds(candidate);
  let window: SlidingCounts | null = rule === null ? null : createSlidingCounts(rule.windowMs);
  let rolledBack = false;
  let memo = new WeakMap<object, boolean>();
  let memoSize = 0;
  let nextSharedRead = 0;
  const inFlight = new Set<Promise<void>>();
  const listeners: Array<(next: CompiledPolicySet) => void> = [];
  const track = (work: Promise<unknown>) => {
    const done: Promise<void> = work.then(
      () => undefined,
      // The store could not answer: the flag is read (or written) again later
      () => undefined,
    ).finally(() => inFlight.delete(done));
    inFlight.add(done);
  };

  const rollBack = (why: RollbackRule, evidence: RollbackEvent["evidence"], share: boolean) => {
    if (rolledBack) return;
    rolledBack = true;
    const event: RollbackEvent = { time: new Date(clock.now()).toISOString(), event: "rollback", rule: why, policy_version: deps.stableVersion, candidate_version: version, evidence };
    deps.writeEvent(event);
    if (share && deps.shared) track(deps.shared.set(version, JSON.stringify(event), clock.now()));
  };

  const evidenceOf = (requests: number, flagged: number, forbidErrors: readonly string[], decisionId: string | null): RollbackEvent["evidence"] => ({
    window_s: rule === null ? 0 : rule.windowMs / 1000,
    canary_requests: requests,
    candidate_denies_stable_allows: flagged,
    deny_rate: requests === 0 ? 0 : flagged / requests,
    max_deny_rate: rule === null ? 0 : rule.maxDenyRate,
    min_requests: rule === null ? 0 : rule.minRequests,
    forbid_errors: forbidErrors,
    trigger_decision_id: decisionId,
  });

  return {
    get candidate() {
      return candidate;
    },
    get candidateVersion() {
      return version;
    },
    get rolledBack() {
      return rolledBack;
    },
    selects(uid, tenant) {
      if (tenant !== undefined && config.tenants.has(tenant)) return true;
      if (config.share === 0) return false;
      const known = memo.get(uid);
      if (known !== undefined) return known;
      const chosen = slicePosition(version, uid.type, uid.id) < config.share;
      if (Object.isFrozen(uid)) {
        if (memoSize >= MEMO_LIMIT) (memo = new WeakMap()), (memoSize = 0);
        memo.set(uid, chosen);
        memoSize++;
      }
      return chosen;
    },
    observe(stable, answer, decisionId) {
      if (rolledBack) return false;
      if (rule === null || window === null) return true;
      const now = clock.now();
      if (rule.onForbidError && answer.errors.length > 0) {
        const errored = answer.errors.filter((e) => forbids.has(e.policy)).map((e) => e.policy);
        if (errored.length > 0) {
          window.add(now, false);
          const totals = window.totals(now);
          rollBack("forbid_error", evidenceOf(totals.requests, totals.flagged, errored, decisionId), true);
          return false;
        }
      }
      window.add(now, stable.decision === "allow" && answer.decision === "deny");
      const totals = window.totals(now);
      if (totals.requests >= rule.minRequests && totals.flagged / totals.requests > rule.maxDenyRate) {
        rollBack("deny_rate", evidenceOf(totals.requests, totals.flagged, [], decisionId), true);
        return false;
      }
      return true;
    },
    poll() {
      const shared = deps.shared;
      if (rolledBack || !shared || rule === null || rule.sharedTtlMs === null) return;
      const now = clock.now();
      if (now < nextSharedRead) return;
      nextSharedRead = now + rule.sharedTtlMs;
      const asked = version;
      track(
        shared.isSet(asked, now).then((set) => {
          if (set && asked === version) rollBack("shared_flag", evidenceOf(0, 0, [], null), false);
        }),
      );
    },
    onCandidate(listener) {
      listeners.push(listener);
    },
    settle() {
      return inFlight.size === 0 ? Promise.resolve() : Promise.all(inFlight).then(() => undefined);
    },
    setCandidate(next) {
      const nextVersion = versionOf(next);
      candidate = next;
      if (nextVersion !== version) {
        version = nextVersion;
        forbids = forbidIds(next);
        window = rule === null ? null : createSlidingCounts(rule.windowMs);
        rolledBack = false;
        memo = new WeakMap();
        memoSize = 0;
        nextSharedRead = 0;
      }
      for (const listener of listeners) listener(next);
    },
  };
}

function versionOf(set: CompiledPolicySet): string {
  return typeof set.version === "string" ? set.version : "";
}

function forbidIds(set: CompiledPolicySet): ReadonlySet<string> {
  const ids = new Set<string>();
  for (const policy of set.policies ?? []) if (policy.effect === "forbid") ids.add(policy.id);
  return ids;
}
