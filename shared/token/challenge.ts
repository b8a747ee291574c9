import type { TokenFailureReason } from "./reasons.ts";

/**
 * The `WWW-Authenticate` value for a 401 (RFC 6750 §3). With no credential at all the challenge
 * carries no error code (§3.1: the client may simply not know it needs one); every other reason
 * becomes `invalid_token` with one generic description, so clients learn nothing about keys,
 * issuers or clocks. The specific reason goes to the audit log only.
 * `realm` must be printable ASCII without `"` or `\`; anything else is left out.
 */
export function unauthorizedChallenge(reason: TokenFailureReason, realm?: string): string {
  const realmPart = realm !== undefined && /^[\x20-\x7e]*$/.test(realm) && !/["\\]/.test(realm) ? `realm="${realm}"` : "";
  if (reason === "missing_token") return realmPart === "" ? "Bearer" : `Bearer ${realmPart}`;
  const error = 'error="invalid_token", error_description="the access token is missing, invalid or expired"';
  return realmPart === "" ? `Bearer ${error}` : `Bearer ${realmPart}, ${error}`;
}
