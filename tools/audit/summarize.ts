// Aggregates audit lines into the figures `gatehouse audit report` prints. Reads lines defensively:
// a log file may mix versions, or hold lines that are not audit lines at all.

/** p50/p95/p99 (nearest rank) and max, in µs, over `count` values. */
export interface Percentiles {
  count: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

export interface RouteFigures {
  route: string;
  allow: number;
  deny: number;
  latencyUs: Percentiles;
}

export interface Count {
  key: string;
  count: number;
}

export interface ShadowFigures {
  /** Lines with a `shadow` field. */
  evaluated: number;
  disagreements: number;
  /** Enforced allow where the candidate denies, and the reverse. */
  allowToDeny: number;
  denyToAllow: number;
  byRoute: Array<{ route: string; evaluated: number; disagreements: number }>;
  /**
   * In disagreeing lines, the policies that decided on one side only: `enforced:<id>` decided for the
   * enforced set but not the candidate, `candidate:<id>` the reverse; `candidate_error:<id>` errored.
   */
  byPolicy: Count[];
}

/** What a canary rollout left in the log. */
export interface CanaryFigures {
  lines: number;
  candidateEnforced: number;
  /** Lines the candidate decided with a deny where the stable set allowed. */
  candidateDenies: number;
  rollbacks: Array<{ time: string | null; rule: string; candidateVersion: string | null }>;
}

/** Everything the report shows. */
export interface AuditSummary {
  /** Non-blank lines read. */
  lines: number;
  /** Lines that are audit lines. */
  decisions: number;
  malformed: { count: number; /** 1-based numbers of the first few malformed lines. */ firstLines: number[] };
  allow: number;
  deny: number;
  /** Allow lines written at a sample rate below 1, and the allow count they stand for. */
  sampledAllowLines: number;
  estimatedAllow: number;
  routes: RouteFigures[];
  denyReasons: Count[];
  denyPolicies: Count[];
  authErrors: Count[];
  policyErrors: Count[];
  failModes: Count[];
  latencyUs: { total: Percentiles; verify: Percentiles; revocation: Percentiles; eval: Percentiles };
  shadow: ShadowFigures;
  /** Sum of `audit_dropped`: lines a sink reported losing. */
  dropped: number;
  /** #18 canary rollout: lines with a `canary` field, those the candidate decided, and the rollback events. */
  canary: CanaryFigures;
  firstTime: string | null;
  lastTime: string | null;
}

const NO_ROUTE = "(no route)";
const MAX_MALFORMED_LISTED = 10;

/** An accumulator: feed it lines with `add`, then read `finish()`. */
export interface AuditSummarizer {
  add(line: string): void;
  finish(): AuditSummary;
}

type Json = Record<string, unknown>;

/** Starts an empty summary. */
export function createSummarizer(): AuditSummarizer {
  let lineNo = 0;
  let lines = 0;
  let decisions = 0;
  let malformed = 0;
  const malformedLines: number[] = [];
  let allow = 0;
  let deny = 0;
  let sampledAllowLines = 0;
  let estimatedAllow = 0;
  let dropped = 0;
  let firstTime: string | null = null;
  let lastTime: string | null = null;
  const routes = new Map<string, { allow: number; deny: number; latencies: number[] }>();
  const denyReasons = new Map<string, number>();
  const denyPolicies = new Map<string, number>();
  const authErrors = new Map<string, number>();
  const policyErrors = new Map<string, number>();
  const failModes = new Map<string, number>();
  const stages = { total: [] as number[], verify: [] as number[], revocation: [] as number[], eval: [] as number[] };
  const shadowRoutes = new Map<string, { evaluated: number; disagreements: number }>();
  const shadowPolicies = new Map<string, number>();
  let shadowEvaluated = 0;
  let disagreements = 0;
  let allowToDeny = 0;
  let denyToAllow = 0;
  const canary: CanaryFigures = { lines: 0, candidateEnforced: 0, candidateDenies: 0, rollbacks: [] };

  function bad(): void {
    malformed++;
    if (malformedLines.length < MAX_MALFORMED_LISTED) malformedLines.push(lineNo);
  }

  return {
    add(text) {
      lineNo++;
      const trimmed = text.trim();
      if (trimmed.length === 0) return;
      lines++;
      let parsed: unknown;
      try {
        parsed = JSON.parse(trimmed);
      } catch {
        return bad();
      }
      // A rollback event is not a decision, but it is an audit line
      if (isObject(parsed) && parsed.event === "rollback") {
        const str = (v: unknown) => (typeof v === "string" ? v : null);
        canary.rollbacks.push({ time: str(parsed.time), rule: str(parsed.rule) ?? "unknown", candidateVersion: str(parsed.candidate_version) });
        return;
      }
      if (!isObject(parsed) || (parsed.decision !== "allow" && parsed.decision !== "deny")) return bad();
      const r = parsed;
      // On a canary line the candidate is compared with the stable set, whichever decided
      const stable = isObject(r.canary) && (r.canary.stable_decision === "allow" || r.canary.stable_decision === "deny") ? r.canary : null;
      if (stable !== null) {
        canary.lines++;
        if (stable.enforced === "candidate") {
          canary.candidateEnforced++;
          if (r.decision === "deny" && stable.stable_decision === "allow") canary.candidateDenies++;
        }
      }
      const stableDecision = stable !== null ? stable.stable_decision : r.decision;
      const stableReasons = stable !== null ? stable.stable_reasons : r.reasons;
      decisions++;
      const route = typeof r.route === "string" ? r.route : NO_ROUTE;
      let perRoute = routes.get(route);
      if (!perRoute) routes.set(route, (perRoute = { allow: 0, deny: 0, latencies: [] }));
      if (r.decision === "allow") {
        allow++;
        perRoute.allow++;
        const rate = typeof r.sample_rate === "number" && r.sample_rate > 0 && r.sample_rate <= 1 ? r.sample_rate : 1;
        if (rate < 1) sampledAllowLines++;
        estimatedAllow += 1 / rate;
      } else {
        deny++;
        perRoute.deny++;
        bump(denyReasons, typeof r.decision_reason === "string" ? r.decision_reason : "unknown");
        for (const id of strings(r.reasons)) bump(denyPolicies, id);
      }
      if (typeof r.auth_error === "string") bump(authErrors, r.auth_error);
      if (Array.isArray(r.policy_errors)) {
        for (const e of r.policy_errors) if (isObject(e) && typeof e.policy === "string") bump(policyErrors, e.policy);
      }
      if (typeof r.fail_mode_used === "string") bump(failModes, r.fail_mode_used);
      if (isObject(r.latency_us)) {
        const l = r.latency_us;
        if (isCount(l.total)) {
          stages.total.push(l.total);
          perRoute.latencies.push(l.total);
        }
        if (isCount(l.verify)) stages.verify.push(l.verify);
        if (isCount(l.revocation)) stages.revocation.push(l.revocation);
        if (isCount(l.eval)) stages.eval.push(l.eval);
      }
      if (isCount(r.audit_dropped)) dropped += r.audit_dropped;
      if (typeof r.time === "string") {
        if (firstTime === null || r.time < firstTime) firstTime = r.time;
        if (lastTime === null || r.time > lastTime) lastTime = r.time;
      }
      if (isObject(r.shadow) && (r.shadow.decision === "allow" || r.shadow.decision === "deny")) {
        shadowEvaluated++;
        let perShadowRoute = shadowRoutes.get(route);
        if (!perShadowRoute) shadowRoutes.set(route, (perShadowRoute = { evaluated: 0, disagreements: 0 }));
        perShadowRoute.evaluated++;
        if (r.shadow.decision !== stableDecision) {
          disagreements++;
          perShadowRoute.disagreements++;
          if (stableDecision === "allow") allowToDeny++;
          else denyToAllow++;
          const enforced = new Set(strings(stableReasons));
          const candidate = new Set(strings(r.shadow.reasons));
          for (const id of enforced) if (!candidate.has(id)) bump(shadowPolicies, `enforced:${id}`);
          for (const id of candidate) if (!enforced.has(id)) bump(shadowPolicies, `candidate:${id}`);
          if (Array.isArray(r.shadow.errors)) {
            for (const e of r.shadow.errors) if (isObject(e) && typeof e.policy === "string") bump(shadowPolicies, `candidate_error:${e.policy}`);
          }
        }
      }
    },

    finish() {
      return {
        lines,
        decisions,
        canary,
        malformed: { count: malformed, firstLines: malformedLines },
        allow,
        deny,
        sampledAllowLines,
        estimatedAllow: Math.round(estimatedAllow),
        routes: [...routes]
          .map(([route, f]) => ({ route, allow: f.allow, deny: f.deny, latencyUs: percentiles(f.latencies) }))
          .sort((a, b) => b.allow + b.deny - (a.allow + a.deny) || a.route.localeCompare(b.route)),
        denyReasons: ranked(denyReasons),
        denyPolicies: ranked(denyPolicies),
        authErrors: ranked(authErrors),
        policyErrors: ranked(policyErrors),
        failModes: ranked(failModes),
        latencyUs: {
          total: percentiles(stages.total),
          verify: percentiles(stages.verify),
          revocation: percentiles(stages.revocation),
          eval: percentiles(stages.eval),
        },
        shadow: {
          evaluated: shadowEvaluated,
          disagreements,
          allowToDeny,
          denyToAllow,
          byRoute: [...shadowRoutes]
            .map(([route, f]) => ({ route, ...f }))
            .sort((a, b) => b.disagreements - a.disagreements || a.route.localeCompare(b.route)),
          byPolicy: ranked(shadowPolicies),
        },
        dropped,
        firstTime,
        lastTime,
      };
    },
  };
}

/** Summarises lines from any (async) iterable, e.g. a readline interface. */
export async function summarizeAuditLines(lines: AsyncIterable<string> | Iterable<string>): Promise<AuditSummary> {
  const summarizer = createSummarizer();
  for await (const line of lines) summarizer.add(line);
  return summarizer.finish();
}

/** Nearest-rank percentiles of `values` (sorted in place). */
export function percentiles(values: number[]): Percentiles {
  const n = values.length;
  if (n === 0) return { count: 0, p50: 0, p95: 0, p99: 0, max: 0 };
  values.sort((a, b) => a - b);
  const at = (p: number) => values[Math.min(n - 1, Math.max(0, Math.ceil(p * n) - 1))];
  return { count: n, p50: at(0.5), p95: at(0.95), p99: at(0.99), max: values[n - 1] };
}

function ranked(counts: Map<string, number>): Count[] {
  return [...counts].map(([key, count]) => ({ key, count })).sort((a, b) => b.count - a.count || a.key.localeCompare(b.key));
}

function bump(counts: Map<string, number>, key: string): void {
  counts.set(key, (counts.get(key) ?? 0) + 1);
}

function isObject(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function isCount(v: unknown): v is number {
  return typeof v === "number" && Number.isFinite(v) && v >= 0;
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : [];
}
