/**
 * The shape of one audit line. Field names are snake_case and stable: they are documented in
 * `docs/audit.md` and pinned by `docs/audit-line.schema.json`, which tests validate every line against.
 * A field that does not apply to a decision is `null`, never missing, so every line has the same keys
 * (log query engines infer one column per key). Only `claims`, `shadow` and `audit_dropped` are optional.
 */
export interface AuditRecord {
  /** When the decision was made, RFC 3339 in UTC with milliseconds (https://www.rfc-editor.org/rfc/rfc3339). */
  time: string;
  /** A fresh UUID v4 per decision (https://www.rfc-editor.org/rfc/rfc9562). */
  decision_id: string;
  /** W3C trace-id from `traceparent`, else `cf-ray`, else the platform's request id; `null` if none. */
  trace_id: string | null;
  /** Which adapter decided. */
  platform: AuditPlatform;
  /** Name of the matched route; `null` when no route matched. */
  route: string | null;
  method: string;
  /** Request path; without the query string unless `includeQuery` is set. */
  path: string;
  principal: AuditPrincipal | null;
  /** Cedar action, e.g. `Action::"read"`; `null` when the pipeline stopped before the policy stage. */
  action: string | null;
  /** Cedar resource, e.g. `Document::"42"`. */
  resource: string | null;
  decision: AuditDecision;
  /** The pipeline's reason code for the decision (`allowed`, `public_route`, `expired`, `revoked`, `policy_denied`, …). */
  decision_reason: string;
  /**
   * What the stage that ended the request knew about why: `stage`, and where they apply `field`,
   * `claim`, `segment`, `issuer`, `store`, `store_error`, `revoked_by`, `policies`, `message`; `null` when nothing.
   */
  detail: AuditDetail | null;
  /** Ids of the policies that decided (Cedar's "reasons"); empty when none did. */
  reasons: readonly string[];
  /** Policies that errored during evaluation (skipped per `onForbidError`). */
  policy_errors: readonly AuditPolicyError[];
  /** The token stage's reason code (`expired`, `unknown_kid`, …); `null` when the token verified. */
  auth_error: string | null;
  revocation: AuditRevocation | null;
  /** `open`, `closed` or `stale` when the revocation store failed and a fail mode decided; else `null`. */
  fail_mode_used: AuditFailMode | null;
  /** Version (content hash) of the enforced policy bundle. */
  policy_version: string | null;
  latency_us: AuditLatency;
  /** Registered claims that identify the token; never the token itself. */
  token: AuditTokenFacts | null;
  cache: AuditCacheFacts;
  /** The client address, kept, truncated, hashed or omitted per `clientIp`. */
  client_ip: string | null;
  /** Of the allow lines like this one, the fraction that is written (1 for every deny line). */
  sample_rate: number;
  /** Allowlisted claims only (`claims` option); absent when the allowlist is empty. */
  claims?: Readonly<Record<string, unknown>>;
  /** The candidate policy set's answer; present only when shadow mode is on. */
  shadow?: AuditShadow;
  /** Lines this logger's sink dropped since the last line that reported drops; absent when none. */
  audit_dropped?: number;
  // Replay facts and the canary's choice
  /** With `audit.replay`: the principal entity and context the policies saw; absent otherwise or before the policies. */
  replay?: AuditReplay;
  /** With a canary rollout: which set decided, and the stable set's answer. */
  canary?: AuditCanary;
  /** Present (`true`) only on decisions about a break-glass token. */
  break_glass?: true;
  /** Live entity records used (uid, `cache`/`store`/`stale`/`static`/`absent`, age) and their data version; present only with `config.entities`. */
  entities?: AuditEntities;
}

/** What the entity stage loaded, so a decision can be reproduced. */
export interface AuditEntities {
  loaded: readonly { uid: string; source: string; age_ms: number }[];
  /** A digest over the records used; `null` when the stage ended before one was known. */
  version: string | null;
  fail_mode_used: string | null;
  store_error: string | null;
}

/** The audit form of the pipeline's `DecisionDetail` (snake_case keys, only those that apply). */
export interface AuditDetail {
  stage?: string;
  field?: string;
  claim?: string;
  segment?: number;
  issuer?: string;
  store?: string;
  store_error?: string;
  revoked_by?: string;
  policies?: readonly string[];
  message?: string;
  /** The entity record at fault (`entity_invalid`). */
  uid?: string;
}

export type AuditPlatform = "worker" | "lambda" | "node";
export type AuditDecision = "allow" | "deny";
/** The revocation fail mode that decided while the store was failing (see the revocation stage). */
export type AuditFailMode = "open" | "closed" | "stale";

export interface AuditPrincipal {
  /** Cedar entity type, e.g. `User`. */
  type: string;
  id: string;
  /** The token's `iss`. */
  iss: string | null;
}

/** One erroring policy; `message` only with `policyErrorDetail: "message"`. */
export interface AuditPolicyError {
  policy: string;
  message?: string;
}

export interface AuditRevocation {
  /** Whether the revocation stage ran for this request. */
  checked: boolean;
  /** Whether the answer came from the in-memory cache. */
  cached: boolean;
  /** The revocation stage's outcome code (`not_revoked`, `revoked`, `unavailable`, …). */
  outcome: string;
  /** Time spent in the revocation stage, in ms (µs precision). */
  ms: number;
  /**
   * Why the store gave no answer, when it gave none: `timeout`, `breaker_open`, `bad_reply` or
   * `connection`; `null` when it answered or was not asked because the cache did.
   */
  store_error: string | null;
}

/** Stage timings in whole microseconds; a stage that did not run is `null`. */
export interface AuditLatency {
  total: number;
  verify: number | null;
  revocation: number | null;
  eval: number | null;
}

export interface AuditTokenFacts {
  jti: string | null;
  /** Seconds since the epoch, as in the token. */
  iat: number | null;
  exp: number | null;
}

export interface AuditCacheFacts {
  /** Whether the verified-token cache answered; `null` when there is no such cache or no token. */
  token_hit: boolean | null;
  /** Age of the JWKS used, in seconds. */
  jwks_age_s: number | null;
  /** Age of the revocation answer used, in ms (0 for a fresh lookup). */
  revocation_age_ms: number | null;
}

/** What the candidate (shadow) policy set would have decided. */
export interface AuditShadow {
  decision: AuditDecision;
  reasons: readonly string[];
  errors: readonly AuditPolicyError[];
  /** Whether the candidate's decision equals the enforced one. */
  agrees: boolean;
  policy_version: string | null;
}

// Policy rollout
/** What a re-decision needs without the token (`gatehouse replay`). */
export interface AuditReplay {
  /** The principal entity in Cedar JSON (`uid`, `attrs`, `parents`); `null` when withheld. */
  principal: { uid: { type: string; id: string }; attrs: Readonly<Record<string, unknown>>; parents: readonly { type: string; id: string }[] } | null;
  /** The policy context in Cedar JSON (`datetime`, `ip` as extension calls); `null` when withheld. */
  context: Readonly<Record<string, unknown>> | null;
  /** What was withheld: `ip` (per `audit.clientIp`), `too_large`; empty when nothing. */
  omitted: readonly string[];
}

/** A canary request (see docs/rollout.md). */
export interface AuditCanary {
  /** `candidate` when the candidate set decided this request, `stable` when the enforced set did. */
  enforced: "candidate" | "stable";
  /** Whether the rollout is rolled back (the candidate no longer enforces anywhere). */
  rolled_back: boolean;
  /** The stable (enforced) set's decision; `shadow` holds the candidate's. */
  stable_decision: AuditDecision;
  /** The stable set's deciding policies. */
  stable_reasons: readonly string[];
}
