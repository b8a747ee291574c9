import type { DecisionFacts } from "../audit/facts.ts";
import type { AuditPlatform } from "../audit/record.ts";
import { ageBucketIndex, bucketIndex, LATENCY_BUCKETS_MS, REVOCATION_AGE_BUCKETS_S } from "./buckets.ts";
import { routeLabel, stableDecision, type DecisionLabels } from "./observer.ts";

/** One label set's counts since the last drain. */
export interface MetricSeries {
  readonly labels: DecisionLabels;
  /** Decisions counted. */
  count: number;
  /** Of them, made for a break-glass token. */
  breakGlass: number;
  /** Latency histogram: `buckets[i]` counts decisions with `total <= LATENCY_BUCKETS_MS[i]` and above the bound before; the last is overflow. */
  readonly buckets: Float64Array;
  /** Sum and largest of the decisions' `timingsMs.total`, in ms. */
  sumMs: number;
  maxMs: number;
  /** The first `MAX_SAMPLES` latencies in ms, in arrival order (EMF sends values, not buckets); `samples` of them are set. */
  readonly latencies: Float64Array;
  samples: number;
  /** Token cache hits and misses, revocation answers from cache and from the store. */
  tokenCacheHits: number;
  tokenCacheMisses: number;
  revocationCacheHits: number;
  revocationCacheMisses: number;
  /**
   * Ages of the revocation answers decisions rested on (`facts.cache.revocationAgeMs`; 0 when read
   * from the store for the request): how many, their largest and sum in ms, and a histogram whose
   * `i`-th slot counts ages up to `REVOCATION_AGE_BUCKETS_S[i]` seconds (the last is overflow).
   */
  revocationAges: number;
  revocationAgeMaxMs: number;
  revocationAgeSumMs: number;
  readonly revocationAgeBuckets: Float64Array;
  /**
   * Decisions where a candidate policy set was evaluated beside the stable one: `canary*` where the
   * candidate decided (a canary request in the slice), `shadow*` where it was only evaluated (shadow
   * mode, or a canary rollout's request outside the slice or after a rollback). Of each, those where
   * the candidate's decision differs from the stable set's (the audit line's `shadow.agrees: false`),
   * by direction from the stable decision to the candidate's.
   */
  canaryRequests: number;
  canaryAllowToDeny: number;
  canaryDenyToAllow: number;
  shadowRequests: number;
  shadowAllowToDeny: number;
  shadowDenyToAllow: number;
}

/**
 * Aggregates decisions by label set between drains, for emitters that send a batch (EMF per Lambda
 * invocation). After warm-up a decision allocates nothing: the label set is found through nested
 * maps keyed by the fact strings the decision already holds, and counters are updated in place.
 */
export interface MetricsTable {
  /** Counts a decision and returns its series (an emitter may drain early when `samples` reaches `MAX_SAMPLES`). */
  add(facts: DecisionFacts, platform: AuditPlatform, policyVersion: string | null): MetricSeries;
  /** The series with a count since the last drain; their counts are zeroed (the series stay, to be reused). */
  drain(): MetricSeries[];
  /** Every series seen, live (not copied): counts since the last drain, or since start when never drained. */
  series(): readonly MetricSeries[];
}

/** Latency values kept per series between drains: EMF takes at most 100 values per metric. */
export const MAX_SAMPLES = 100;

// platform → policy version → route → reason → series (one per decision)
type Level<T> = Map<string, T>;

export function createMetricsTable(): MetricsTable {
  const root: Level<Level<Level<Level<MetricSeries[]>>>> = new Map();
  const all: MetricSeries[] = [];
  // The last label set seen: steady traffic repeats it, and the route and reason strings are the
  // same objects each time (the compiled route's name, the reason constants), so this skips the maps
  let last: MetricSeries | undefined;

  function find(facts: DecisionFacts, platform: AuditPlatform, version: string): MetricSeries {
    const route = routeLabel(facts);
    let byVersion = root.get(platform);
    if (byVersion === undefined) root.set(platform, (byVersion = new Map()));
    let byRoute = byVersion.get(version);
    if (byRoute === undefined) byVersion.set(version, (byRoute = new Map()));
    let byReason = byRoute.get(route);
    if (byReason === undefined) byRoute.set(route, (byReason = new Map()));
    let pair = byReason.get(facts.reason);
    if (pair === undefined) byReason.set(facts.reason, (pair = []));
    const index = facts.decision === "allow" ? 0 : 1;
    let series = pair[index];
    if (series === undefined) {
      series = newSeries({ route, decision: facts.decision, reason: facts.reason, platform, policyVersion: version });
      pair[index] = series;
      all.push(series);
    }
    return series;
  }

  return {
    add: function addDecision(facts, platform, policyVersion) {
      const version = policyVersion ?? "none";
      let series = last;
      const labels = series?.labels;
      if (labels === undefined || labels.reason !== facts.reason || labels.decision !== facts.decision || labels.route !== (facts.route || "none") || labels.platform !== platform || labels.policyVersion !== version) {
        series = last = find(facts, platform, version);
      }
      const ms = facts.timingsMs.total;
      series!.count++;
      series!.buckets[bucketIndex(ms)]++;
      series!.sumMs += ms;
      if (ms > series!.maxMs) series!.maxMs = ms;
      if (series!.samples < MAX_SAMPLES) series!.latencies[series!.samples++] = ms;
      if (facts.breakGlass === true) series!.breakGlass++;
      const cache = facts.cache;
      if (cache != null && typeof cache.tokenHit === "boolean") {
        if (cache.tokenHit) series!.tokenCacheHits++;
        else series!.tokenCacheMisses++;
      }
      const revocation = facts.revocation;
      if (revocation != null && revocation.checked) {
        if (revocation.cached) series!.revocationCacheHits++;
        else series!.revocationCacheMisses++;
      }
      // Absent (null) when no revocation check ran or it gave no answer
      const age = cache != null ? cache.revocationAgeMs : null;
      if (typeof age === "number" && age >= 0) {
        series!.revocationAges++;
        series!.revocationAgeSumMs += age;
        if (age > series!.revocationAgeMaxMs) series!.revocationAgeMaxMs = age;
        series!.revocationAgeBuckets[ageBucketIndex(age)]++;
      }
      // Absent without a candidate set: one field read is all a plain decision pays
      const candidate = facts.shadow;
      if (candidate != null) countCandidate(series!, facts, candidate.decision);
      return series!;
    },
    series: () => all,
    drain: function drainSeries() {
      const out: MetricSeries[] = [];
      for (const series of all) {
        if (series.count === 0) continue;
        out.push({ ...series, buckets: series.buckets.slice(), latencies: series.latencies.slice(0, series.samples), revocationAgeBuckets: series.revocationAgeBuckets.slice() });
        resetSeries(series);
      }
      return out;
    },
  };
}

/** Zeroes a series' counts in place (after its document was written). */
export function resetSeries(series: MetricSeries): void {
  series.count = series.breakGlass = series.sumMs = series.maxMs = series.samples = 0;
  series.tokenCacheHits = series.tokenCacheMisses = series.revocationCacheHits = series.revocationCacheMisses = 0;
  series.buckets.fill(0);
  series.revocationAges = series.revocationAgeMaxMs = series.revocationAgeSumMs = 0;
  series.revocationAgeBuckets.fill(0);
  series.canaryRequests = series.canaryAllowToDeny = series.canaryDenyToAllow = 0;
  series.shadowRequests = series.shadowAllowToDeny = series.shadowDenyToAllow = 0;
}

function countCandidate(series: MetricSeries, facts: DecisionFacts, candidate: "allow" | "deny"): void {
  const stable = stableDecision(facts);
  if (facts.canary != null && facts.canary.enforced === "candidate") {
    series.canaryRequests++;
    if (candidate !== stable) {
      if (stable === "allow") series.canaryAllowToDeny++;
      else series.canaryDenyToAllow++;
    }
  } else {
    series.shadowRequests++;
    if (candidate !== stable) {
      if (stable === "allow") series.shadowAllowToDeny++;
      else series.shadowDenyToAllow++;
    }
  }
}

function newSeries(labels: DecisionLabels): MetricSeries {
  return {
    labels, count: 0, breakGlass: 0, buckets: new Float64Array(LATENCY_BUCKETS_MS.length + 1), sumMs: 0, maxMs: 0,
    latencies: new Float64Array(MAX_SAMPLES), samples: 0,
    tokenCacheHits: 0, tokenCacheMisses: 0, revocationCacheHits: 0, revocationCacheMisses: 0,
    revocationAges: 0, revocationAgeMaxMs: 0, revocationAgeSumMs: 0, revocationAgeBuckets: new Float64Array(REVOCATION_AGE_BUCKETS_S.length + 1),
    canaryRequests: 0, canaryAllowToDeny: 0, canaryDenyToAllow: 0, shadowRequests: 0, shadowAllowToDeny: 0, shadowDenyToAllow: 0,
  };
}
