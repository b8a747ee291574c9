/**
 * Why a verified token was refused for its sender (issue #20): DPoP (RFC 9449) and certificate-bound
 * tokens (RFC 8705). A closed union, like `TokenFailureReason`; each has its own code in the audit
 * line and the metrics, while the client gets only a generic challenge (`senderChallenge`).
 *
 * - `dpop_required`: the issuer or the route requires DPoP and the token carries no `cnf.jkt`.
 * - `dpop_bound_as_bearer`: a DPoP-bound token sent with the `Bearer` scheme (RFC 9449 §7.2).
 * - `dpop_unbound_token`: the `DPoP` scheme with a token that carries no `cnf.jkt`.
 * - `dpop_proof_missing`: no `DPoP` header where a proof is needed.
 * - `dpop_proof_malformed`: not one compact JWS, bad JSON, or a required claim missing or of the wrong type.
 * - `dpop_wrong_typ`: the proof's `typ` is not `dpop+jwt`.
 * - `dpop_alg_not_allowed`: `none`, an HMAC, or an algorithm outside the allowlist.
 * - `dpop_bad_jwk`: no public `jwk` in the header, or one holding private or symmetric key material.
 * - `dpop_bad_signature`: the proof does not verify with its own `jwk`.
 * - `dpop_htm_mismatch`: `htm` is not the request's method.
 * - `dpop_htu_mismatch`: `htu` is not the request's URL (scheme, host, path; query and fragment ignored).
 * - `dpop_iat_out_of_window`: `iat` too far in the past or the future.
 * - `dpop_ath_mismatch`: `ath` is not the base64url SHA-256 of the access token.
 * - `dpop_key_mismatch`: the proof key's RFC 7638 thumbprint is not the token's `cnf.jkt`.
 * - `dpop_replayed`: the proof's `jti` was seen before (isolate memory or the revocation store).
 * - `dpop_replay_unavailable`: the store could not say whether `jti` was seen; fails closed (503).
 * - `dpop_nonce_required` (#20b): the issuer requires a server nonce and the proof has none, or one that is
 *   expired or not made with the issuer's nonce key; answered with `use_dpop_nonce` and a fresh `DPoP-Nonce`.
 * - `mtls_required`: the issuer or the route requires certificate binding and the token has no `cnf["x5t#S256"]`.
 * - `mtls_cert_missing`: a certificate-bound token, and the platform saw no client certificate.
 * - `mtls_cert_mismatch`: the client certificate's SHA-256 thumbprint is not the token's `cnf["x5t#S256"]`.
 */
export type SenderFailureReason =
  | "dpop_required"
  | "dpop_bound_as_bearer"
  | "dpop_unbound_token"
  | "dpop_proof_missing"
  | "dpop_proof_malformed"
  | "dpop_wrong_typ"
  | "dpop_alg_not_allowed"
  | "dpop_bad_jwk"
  | "dpop_bad_signature"
  | "dpop_htm_mismatch"
  | "dpop_htu_mismatch"
  | "dpop_iat_out_of_window"
  | "dpop_ath_mismatch"
  | "dpop_key_mismatch"
  | "dpop_replayed"
  | "dpop_replay_unavailable"
  | "dpop_nonce_required"
  | "mtls_required"
  | "mtls_cert_missing"
  | "mtls_cert_mismatch";

/** A refused sender. `field` names the proof claim or header at fault (`htu`, `ath`, `jwk`); never a token or proof. */
export interface SenderFailure {
  readonly ok: false;
  readonly reason: SenderFailureReason;
  readonly field?: string;
  /** A fresh nonce for the client's next proof (`DPoP-Nonce`), with `dpop_nonce_required`. */
  readonly nonce?: string;
}

export function senderFailure(reason: SenderFailureReason, field?: string): SenderFailure {
  return field === undefined ? { ok: false, reason } : { ok: false, reason, field };
}

const PROOF_REASONS: ReadonlySet<string> = new Set([
  "dpop_proof_missing", "dpop_proof_malformed", "dpop_wrong_typ", "dpop_alg_not_allowed", "dpop_bad_jwk", "dpop_bad_signature",
  "dpop_htm_mismatch", "dpop_htu_mismatch", "dpop_iat_out_of_window", "dpop_ath_mismatch", "dpop_key_mismatch", "dpop_replayed",
]);
const DPOP_TOKEN_REASONS: ReadonlySet<string> = new Set(["dpop_required", "dpop_bound_as_bearer", "dpop_unbound_token"]);

/**
 * The `WWW-Authenticate` value for a sender refusal, or `undefined` for a reason that is not one.
 * A bad proof is `DPoP error="invalid_dpop_proof"` (RFC 9449 §7.1); a token used without its proof,
 * or DPoP required, is `DPoP error="invalid_token"`; a certificate problem is the RFC 6750
 * `invalid_token` (RFC 8705 §3). One generic description each: the reason stays in the audit line.
 * `algs` lists the proof algorithms accepted (RFC 9449 §7.1).
 */
export function senderChallenge(reason: string | null, algs: string): string | undefined {
  if (reason === null) return undefined;
  // RFC 9449 §8, the client retries with the nonce of the `DPoP-Nonce` header
  if (reason === "dpop_nonce_required") return `DPoP algs="${algs}", error="use_dpop_nonce", error_description="the DPoP proof must carry the server's nonce"`;
  if (PROOF_REASONS.has(reason)) return `DPoP algs="${algs}", error="invalid_dpop_proof", error_description="the DPoP proof is missing or invalid"`;
  if (DPOP_TOKEN_REASONS.has(reason)) return `DPoP algs="${algs}", error="invalid_token", error_description="the access token must be sent with a DPoP proof"`;
  if (reason.startsWith("mtls_")) return 'Bearer error="invalid_token", error_description="the access token is not bound to this client certificate"';
  return undefined;
}
