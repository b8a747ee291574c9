import { traceIdFrom } from "../audit/trace-id.ts";
import { droppedTally } from "./dropped.ts";
import { isErrorReason } from "./error-reasons.ts";
import { routeLabel, stableDecision, type DecisionMetrics } from "./observer.ts";

/** A Workers Analytics Engine dataset binding (`[[analytics_engine_datasets]]` in wrangler.toml). */
export interface AnalyticsEngineDataset {
  writeDataPoint(point: { readonly blobs?: readonly (string | null)[]; readonly doubles?: readonly number[]; readonly indexes?: readonly string[] }): void;
}

/**
 * The columns of a Gatehouse data point, for SQL API queries (`blob1` is the route, `double1` the latency).
 * Blobs: route, decision, reason, platform, policy version, trace id (to join a data point with its
 * trace and audit line). Doubles: latency in ms, break-glass (1/0), error (1/0), token cache hit
 * (1 hit, 0 miss, -1 no token), revocation answer from cache (1, 0, -1 not checked), age of the
 * revocation answer in ms (0 read from the store for this request, -1 none), audit lines lost since
 * the previous data point (a sink's drops are noticed at the next decision), the candidate policy set
 * (1 it decided: a canary request; 0 only evaluated: shadow mode, or outside the canary slice; -1
 * none evaluated), whether the candidate's decision differs from the stable set's (1, 0, -1 none
 * evaluated), canary rollbacks this isolate performed since the previous data point. Index: the route.
 */
export const ANALYTICS_ENGINE_COLUMNS = {
  blobs: ["route", "decision", "reason", "platform", "policy_version", "trace_id"],
  doubles: ["latency_ms", "break_glass", "error", "token_cache_hit", "revocation_cached", "revocation_age_ms", "audit_dropped", "canary", "candidate_disagrees", "canary_rollbacks"],
  indexes: ["route"],
} as const;

/**
 * Workers Analytics Engine: one data point per decision through the dataset binding. The runtime
 * buffers and sends them after the response, so `writeDataPoint` neither waits nor fails the request.
 * The runtime copies a point when it is written, so one point and its arrays are refilled for every
 * decision instead of allocating three arrays each time; a dataset must not keep the object it is given.
 */
export function analyticsEngineMetrics(dataset: AnalyticsEngineDataset): DecisionMetrics {
  const blobs: (string | null)[] = ["", "", "", "", "", null];
  const doubles: number[] = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
  const dropped = droppedTally();
  let droppedWritten = 0;
  let rollbacks = 0;
  let rollbacksWritten = 0;
  const indexes: string[] = [""];
  const point = { blobs, doubles, indexes };
  return {
    auditDropped: dropped.note,
    canaryRollback: function countRollback() {
      rollbacks++;
    },
    observe: function observeAnalyticsEngine(facts, platform, policyVersion, readTraceId) {
      const route = routeLabel(facts);
      const tokenHit = facts.cache?.tokenHit;
      const revocation = facts.revocation;
      // The audit logger passes the trace id it read for the line; only a direct caller makes us read it
      const traceId = readTraceId !== undefined ? readTraceId : facts.traceId !== undefined ? facts.traceId : traceIdFrom(facts.request.headers, facts.request.platformRequestId);
      blobs[0] = route;
      blobs[1] = facts.decision;
      blobs[2] = facts.reason;
      blobs[3] = platform;
      blobs[4] = policyVersion ?? "none";
      blobs[5] = traceId ?? null;
      doubles[0] = facts.timingsMs.total;
      doubles[1] = facts.breakGlass === true ? 1 : 0;
      doubles[2] = isErrorReason(facts.reason) ? 1 : 0;
      doubles[3] = typeof tokenHit === "boolean" ? (tokenHit ? 1 : 0) : -1;
      doubles[4] = revocation != null && revocation.checked ? (revocation.cached ? 1 : 0) : -1;
      const age = facts.cache != null ? facts.cache.revocationAgeMs : null;
      doubles[5] = typeof age === "number" && age >= 0 ? age : -1;
      doubles[6] = dropped.total - droppedWritten;
      droppedWritten = dropped.total;
      const candidate = facts.shadow;
      if (candidate == null) doubles[7] = doubles[8] = -1;
      else {
        doubles[7] = facts.canary != null && facts.canary.enforced === "candidate" ? 1 : 0;
        doubles[8] = candidate.decision !== stableDecision(facts) ? 1 : 0;
      }
      doubles[9] = rollbacks - rollbacksWritten;
      rollbacksWritten = rollbacks;
      indexes[0] = route;
      try {
        dataset.writeDataPoint(point);
      } catch {
        // a missing or broken binding loses the data point, never the decision
      }
    },
    flush: () => Promise.resolve(),
  };
}
