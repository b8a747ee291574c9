import type { RevocationReason, RevocationStoreError } from "../revocation/check.ts";
import type { RefusalReason } from "./refuse.ts";
import type { RouteFailureReason } from "../routes/reasons.ts";
import type { TokenFailureReason } from "../token/reasons.ts";
import type { SenderFailureReason } from "../token/sender-reasons.ts";
import type { StageName } from "./state.ts";

/**
 * Every `Decision.reason`, a closed union: a reason not listed here does not compile. The audit
 * line's `decision_reason`, the CLI's output and docs/reasons.md use the same codes. Status by reason:
 *
 * - 200: `allowed` (the policies permitted), `public_route` (no token needed).
 * - 401: a `TokenFailureReason` (`missing_token`, `expired`, `bad_signature`, …, also `claim_type`
 *   and `missing_claim` when the claims cannot become a principal), `revoked`, `invalid_claim`
 *   (an identifying claim the revocation check cannot read).
 * - 403: `policy_denied`, `forbid_error` (a forbid errored and config `onForbidError` is `deny`), `no_route`, or a path refusal (`path_traversal`, `encoded_separator`,
 *   `empty_segment`, …): a path that cannot be matched safely is treated like an unmatched one.
 * - 503: `jwks_unavailable`, `revocation_unavailable` (route in fail mode `closed`),
 *   `internal_error` (a bug; the request fails closed, never as a 500), `config_refused` (the
 *   Worker's configuration failed validation on the isolate's first request; see its log).
 * - Refused by an adapter before the pipeline ran (`Authorizer.refuse`, one audit line each):
 *   `malformed_event`, `cache_key_unbound`, `wildcard_in_arn`, `proxy_misconfigured` (403 unless
 *   the adapter's platform answers otherwise), `config_refused` and `internal_error` (503).
 */
export type DecisionReason =
  | "allowed"
  | "public_route"
  | "policy_denied"
  | "forbid_error"
  | "internal_error"
  | "config_refused"
  | RefusalReason
  | RouteFailureReason
  | TokenFailureReason
  | RevocationReason
  | SenderFailureReason
  // A live entity record that cannot be used (403), an entity source that could not answer (503)
  | "entity_invalid"
  | "entities_unavailable";

/**
 * What the stage that ended a request knew about why, for the audit line's `detail` (never the
 * token). Each field is present only where it applies.
 */
export interface DecisionDetail {
  /** The stage that ended the request (`internal_error`: the stage that failed). */
  readonly stage?: StageName;
  /** The part of the credential at fault: where it was read (`authorization`, `cookie`) or a token field (`exp`, `aud`, `kid`). */
  readonly field?: string;
  /** The claim the principal or revocation stage could not read (`groups`, `sub|uid`, `jti`). */
  readonly claim?: string;
  /** The index of the refused path segment (0 is the first after `/`). */
  readonly segment?: number;
  /** The configured issuer's name, once the token named one. */
  readonly issuer?: string;
  /** The revocation store that gave no usable answer (`redis`, `kv`, …) and why. */
  readonly store?: string;
  readonly storeError?: RevocationStoreError;
  /** Which revocation matched: `jti`, `sub`, `sid` or `client`. */
  readonly revokedBy?: string;
  /** The erroring forbid policies (`forbid_error`). */
  readonly policies?: readonly string[];
  /** A one-line message, for `internal_error` and `entity_invalid` (#17). */
  readonly message?: string;
  /** The entity record at fault (`entity_invalid`, #17), e.g. `User::"alice"`. */
  readonly uid?: string;
}

/** The reasons of each HTTP status, for docs and tests. */
export const REASONS_BY_STATUS = {
  200: ["allowed", "public_route"],
  401: ["missing_token", "malformed", "too_large", "alg_not_allowed", "unknown_crit", "unknown_kid", "key_unusable", "bad_signature", "expired", "not_yet_valid", "issued_in_future", "too_old", "wrong_issuer", "wrong_audience", "wrong_typ", "missing_claim", "claim_type", "revoked", "invalid_claim",
    // Introspection and sender-constrained tokens
    "token_inactive", "dpop_required", "dpop_bound_as_bearer", "dpop_unbound_token", "dpop_proof_missing", "dpop_proof_malformed", "dpop_wrong_typ",
    "dpop_alg_not_allowed", "dpop_bad_jwk", "dpop_bad_signature", "dpop_htm_mismatch", "dpop_htu_mismatch", "dpop_iat_out_of_window", "dpop_ath_mismatch",
    "dpop_key_mismatch", "dpop_replayed", "mtls_required", "mtls_cert_missing", "mtls_cert_mismatch",
    "dpop_nonce_required"],
  // The adapters' refusals (`Authorizer.refuse`) are 403 unless the platform answers otherwise
  403: ["policy_denied", "forbid_error", "no_route", "malformed_event", "cache_key_unbound", "wildcard_in_arn", "proxy_misconfigured", "not_absolute", "path_too_long", "nul_byte", "control_character", "encoded_separator", "path_traversal", "empty_segment", "double_encoding", "bad_encoding",
    "entity_invalid"],
  503: ["jwks_unavailable", "revocation_unavailable", "internal_error", "config_refused",
    "discovery_unavailable", "introspection_unavailable", "dpop_replay_unavailable",
    "entities_unavailable"],
} as const satisfies Record<200 | 401 | 403 | 503, readonly DecisionReason[]>;

/** Every reason code, once. */
export const DECISION_REASONS: readonly DecisionReason[] = Object.values(REASONS_BY_STATUS).flat();

// Invariant: every reason has its status above; a reason added to the union without one fails to compile here
type Unlisted = Exclude<DecisionReason, (typeof REASONS_BY_STATUS)[keyof typeof REASONS_BY_STATUS][number]>;
const everyReasonListed: [Unlisted] extends [never] ? true : Unlisted = true;
void everyReasonListed;
