import type { DecisionDetail, DecisionReason } from "../pipeline/reasons.ts";
import type { AuditDecision, AuditFailMode } from "./record.ts";
import type { ReplayPrincipal } from "./replay-facts.ts";

/**
 * What a policy set answers, as `shared/policy` returns it. Declared structurally here so the audit
 * stage does not depend on the policy runtime; any `PolicyResult` from there fits.
 */
export interface PolicyOutcome {
  readonly decision: AuditDecision;
  /** Ids of the policies that decided. */
  readonly reasons: readonly string[];
  /** Policies that errored, each tagged with its id. */
  readonly errors: readonly { readonly policy: string; readonly message: string }[];
}

/** Request headers, as a `Headers` object or a plain record with lower-case names. */
export type HeaderSource =
  | { get(name: string): string | null | undefined }
  | Readonly<Record<string, string | readonly string[] | undefined>>;

/**
 * Everything the pipeline knows about one decision, handed to the audit logger as is.
 * Fields the pipeline did not reach are left out (or `null`); the logger never reads the token.
 */
export interface DecisionFacts {
  readonly decision: AuditDecision;
  /** The pipeline's `Decision.decisionId`; when absent the logger makes one. */
  readonly decisionId?: string;
  /** The pipeline's reason code (`Decision.reason`): `allowed`, `public_route`, `expired`, `revoked`, `policy_denied`, … */
  readonly reason: DecisionReason;
  /** What the stage that ended the request knew about why (failing claim, refused segment, store); `null` when nothing. */
  readonly detail?: DecisionDetail | null;
  readonly request: {
    readonly method: string;
    /** The request path; anything from a `?` on is dropped unless `includeQuery` is set. */
    readonly path: string;
    /** The raw query string without `?`; written only with `includeQuery`, token-like values redacted. */
    readonly query?: string | null;
    /** Client address as the adapter determined it (IPv4 or IPv6 text). */
    readonly clientIp?: string | null;
    /** Used for the trace id when `traceId` is not given. */
    readonly headers?: HeaderSource;
    /** The platform's request id (`AuthorizeInput.requestId`): API Gateway's `requestContext.requestId`, … */
    readonly platformRequestId?: string | null;
  };
  /** A trace id the adapter already extracted; when absent it is read from `request.headers`. */
  readonly traceId?: string | null;
  /** Name of the matched route. */
  readonly route?: string | null;
  /** The Cedar principal the pipeline built from the token. */
  readonly principal?: { readonly type: string; readonly id: string } | null;
  readonly action?: string | null;
  readonly resource?: string | null;
  /** The verified token's payload; only registered claims and allowlisted ones are read. */
  readonly claims?: Readonly<Record<string, unknown>> | null;
  /** The token stage's reason code when it failed. */
  readonly authError?: string | null;
  readonly revocation?: {
    readonly checked: boolean;
    readonly cached: boolean;
    readonly outcome: string;
    /** Time spent in the revocation stage, in ms. */
    readonly ms: number;
    /** Why the store gave no answer (`timeout`, `breaker_open`, `bad_reply`, `connection`), when it gave none. */
    readonly storeError?: string | null;
  } | null;
  readonly failModeUsed?: AuditFailMode | null;
  /** The enforced policy set's answer. */
  readonly policy?: PolicyOutcome | null;
  /** The candidate policy set's answer, in shadow mode. */
  readonly shadow?: PolicyOutcome | null;
  /** The live entity records the decision used; absent without `config.entities`. */
  readonly entities?: {
    readonly loaded: readonly { readonly uid: string; readonly source: string; readonly ageMs: number }[];
    readonly version: string | null;
    readonly failModeUsed?: string | null;
    readonly storeError?: string | null;
  } | null;
  /** Stage timings in ms, e.g. differences of `performance.now()`; stages that did not run are left out. */
  readonly timingsMs: {
    readonly total: number;
    readonly verify?: number | null;
    readonly revocation?: number | null;
    readonly eval?: number | null;
  };
  /** The decision was about a break-glass token; the line says so and is never sampled away. */
  readonly breakGlass?: boolean;
  readonly cache?: {
    readonly tokenHit?: boolean | null;
    /** Age of the JWKS used, in seconds. */
    readonly jwksAgeS?: number | null;
    /** Age of the revocation answer used, in ms. */
    readonly revocationAgeMs?: number | null;
  } | null;
  // Written only with `audit.replay`; references, so the pipeline copies nothing for them
  /** The principal entity the policies saw. */
  readonly principalEntity?: ReplayPrincipal | null;
  /** The policy context as built (Cedar JSON, or the runtime's parsed values). */
  readonly context?: Readonly<Record<string, unknown>> | null;
  /** Canary rollout: which set decided, whether rolled back, and the stable set's answer (`shadow` is the candidate's). */
  readonly canary?: { readonly enforced: "candidate" | "stable"; readonly rolledBack: boolean; readonly stable: PolicyOutcome } | null;
}
