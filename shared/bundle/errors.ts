/**
 * Why a published policy bundle was refused (issue #18). A closed union, written in the
 * `policy_bundle` audit event's `reason`:
 * - `store_error`: the pointer or the bundle could not be read (timeout, connection);
 * - `pointer_invalid`: the `current` pointer is not the JSON `publish` writes;
 * - `bundle_missing`: the pointer names a version the store does not hold;
 * - `too_large`: the bundle is over `policyBundle.maxBytes`;
 * - `malformed`: not a compact JWS (e.g. truncated), or its payload is not JSON;
 * - `signature_invalid`: not signed by `policyBundle.publicKey` with Ed25519;
 * - `schema_invalid`: signed, but the payload or its policy IR has the wrong shape;
 * - `version_mismatch`: the signed version is not the one the pointer names (a replayed bundle).
 */
export type BundleRefusal = "store_error" | "pointer_invalid" | "bundle_missing" | "too_large" | "malformed" | "signature_invalid" | "schema_invalid" | "version_mismatch";

/** A bundle that failed a check; `reason` says which, `message` the detail (never key material). */
export class BundleError extends Error {
  readonly reason: BundleRefusal;
  constructor(reason: BundleRefusal, message: string) {
    super(message);
    this.name = "BundleError";
    this.reason = reason;
  }
}
