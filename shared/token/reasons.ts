/**
 * Why a credential was refused. A closed union, so the audit log and tests can switch on it; the
 * client never sees it (it gets the generic RFC 6750 challenge from `unauthorizedChallenge`).
 *
 * - `missing_token`: no credential in any accepted place.
 * - `malformed`: not a compact JWS (bad base64url, bad JSON, a JWE, several credentials, a bad scheme).
 * - `too_large`: longer than `maxTokenBytes`; refused before any decoding.
 * - `alg_not_allowed`: `alg` is `none` or outside the issuer's `algorithms`.
 * - `unknown_crit`: a `crit` header names an extension we do not implement (RFC 7515 §4.1.11).
 * - `unknown_kid`: no key in the issuer's key set matches `kid` and `alg`, even after a refetch.
 * - `key_unusable`: the matching key could not be used (e.g. an RSA key under 2048 bits).
 * - `bad_signature`: the signature does not verify; also any tampered header or payload.
 * - `expired`: `exp` has passed (beyond the clock tolerance).
 * - `not_yet_valid`: `nbf` lies in the future (beyond the clock tolerance).
 * - `issued_in_future`: `iat` lies in the future (beyond the clock tolerance); checked on every
 *   issuer, with or without `maxAgeSeconds` (RFC 8725 §3.10, #21).
 * - `too_old`: `iat` is older than the issuer's `maxAgeSeconds`.
 * - `wrong_issuer`: `iss` is missing or not a configured issuer.
 * - `wrong_audience`: `aud` is missing or names none of the issuer's audiences.
 * - `wrong_typ`: the `typ` header differs from the issuer's `typ` (e.g. `at+jwt`, RFC 9068 §4).
 * - `missing_claim`: a required claim (`exp`, `iat` with a max age, the principal id) is absent.
 * - `claim_type`: a claim has the wrong JSON type (`exp` as a string, `groups` as a number).
 * - `jwks_unavailable`: the issuer's keys could not be fetched and no usable copy is left.
 * - `discovery_unavailable`: the issuer's discovery document could not be fetched, or was refused
 *   (its `issuer` differs from the configured one, its `jwks_uri` is not https on an allowed host),
 *   and no usable copy is left (#20).
 * - `token_inactive`: the introspection endpoint answered `active: false` (RFC 7662 §2.2) (#20).
 * - `introspection_unavailable`: the introspection endpoint gave no usable answer in time and the
 *   issuer's fail mode allows no cached one (#20).
 */
export type TokenFailureReason =
  | "missing_token"
  | "malformed"
  | "too_large"
  | "alg_not_allowed"
  | "unknown_crit"
  | "unknown_kid"
  | "key_unusable"
  | "bad_signature"
  | "expired"
  | "not_yet_valid"
  | "issued_in_future"
  | "too_old"
  | "wrong_issuer"
  | "wrong_audience"
  | "wrong_typ"
  | "missing_claim"
  | "claim_type"
  | "jwks_unavailable"
  | "discovery_unavailable"
  | "token_inactive"
  | "introspection_unavailable";

/**
 * A refused credential. `field` names what failed (`exp`, `aud`, `kid`, `alg`, `authorization`,
 * ...) where there is one; `issuer` is the configured issuer's name once one was selected.
 * Neither ever holds the token.
 */
export interface TokenFailure {
  readonly ok: false;
  readonly reason: TokenFailureReason;
  readonly field?: string;
  readonly issuer?: string;
}

/** Builds a `TokenFailure`, leaving out the parts that are unknown. */
export function tokenFailure(reason: TokenFailureReason, field?: string, issuer?: string): TokenFailure {
  if (field === undefined && issuer === undefined) return { ok: false, reason };
  if (issuer === undefined) return { ok: false, reason, field };
  if (field === undefined) return { ok: false, reason, issuer };
  return { ok: false, reason, field, issuer };
}
