import type { AuditSink } from "../audit/sink.ts";
import type { Clock } from "../clock/index.ts";
import type { DecisionMetrics } from "../metrics/observer.ts";
import { ConfigError } from "../errors.ts";
import type { CompiledPolicySet } from "../policy/types.ts";
import type { RevocationStore } from "../revocation/store.ts";
import { createCanary, type Canary } from "./canary.ts";
import type { ResolvedRolloutConfig } from "./config.ts";
import { writeRollbackEvent, type RollbackEvent } from "./rollback-event.ts";
import { storeRollbackFlag } from "./shared-flag.ts";

/**
 * The canary rollout `createAuthorizer` wires in with a `rollout` section: the candidate is the
 * shadow set, and the shared rollback flag lives in the revocation store. `null` without the section.
 * @throws ConfigError without a candidate, or with a shared flag and no revocation store.
 */
export function attachRollout(config: ResolvedRolloutConfig | null, deps: { readonly candidate: CompiledPolicySet | null; readonly stableVersion: string | null; readonly clock: Clock; readonly sink: AuditSink; readonly store: RevocationStore | null; readonly metrics: DecisionMetrics | null }): Canary | null {
  if (config === null) return null;
  const { candidate, sink, metrics } = deps;
  if (candidate === null) throw new ConfigError("rollout", "expected a candidate policy set to roll out (`shadowPolicies`, from `gatehouse build --shadow DIR`)");
  let shared = null;
  if (config.rollback !== null && config.rollback.sharedTtlMs !== null) {
    if (deps.store === null) throw new ConfigError("rollout.rollback.shared", "expected a `revocation` store to share the rollback flag through, or `null`");
    shared = storeRollbackFlag(deps.store);
  }
  const writeEvent = (event: RollbackEvent) => {
    writeRollbackEvent(sink, event);
    try {
      metrics?.canaryRollback?.(event.rule);
    } catch {
      // a metrics failure must not undo the rollback
    }
  };
  return createCanary({ config, candidate, stableVersion: deps.stableVersion, clock: deps.clock, shared, writeEvent });
}
