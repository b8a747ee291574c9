import type { RevocationReason } from "../revocation/check.ts";
import type { RefusalReason } from "./refuse.ts";
import type { RouteFailureReason } from "../routes/reasons.ts";
import type { TokenFailureReason } from "../token/reasons.ts";

/**
 * Every `Decision.reason`, a closed union. Status by reason:
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
  | RevocationReason;
