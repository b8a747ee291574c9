import { compactVerify, errors as joseErrors, importJWK, type JWK } from "jose";
import * as v from "valibot";
import { loadPolicyIr, PolicyIrError } from "../policy/bundle/index.ts";
import type { CompiledPolicySet } from "../policy/types.ts";
import { BundleError } from "./errors.ts";
import { BUNDLE_ALGORITHMS, BUNDLE_TYPE, bundlePayloadSchema, type BundlePayload } from "./format.ts";

/** The public key bundles are checked against, imported once. */
export type BundleKey = CryptoKey | Uint8Array;

/** Imports `policyBundle.publicKey` (an Ed25519 public JWK; its shape is checked by the config schema). */
export async function importBundleKey(jwk: Readonly<Record<string, unknown>>): Promise<BundleKey> {
  if (jwk.d !== undefined) throw new BundleError("signature_invalid", "the bundle key must be a public JWK");
  return (await importJWK({ kty: "OKP", crv: "Ed25519", x: jwk.x } as JWK, "Ed25519")) as BundleKey;
}

/** A bundle that passed every check, built into a policy set. */
export interface VerifiedBundle {
  readonly payload: BundlePayload;
  readonly policies: CompiledPolicySet;
}

// header.payload.signature; an Ed25519 signature is 64 bytes, 86 base64url characters, so a bundle
// cut short anywhere (a partial upload) fails here rather than as a wrong signature
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{86}$/;

/**
 * Checks a stored bundle in order of cost: size, shape of the JWS, the Ed25519 signature over its
 * exact bytes, the payload schema, the version the pointer expects, then builds the policy set
 * (every IR node checked). @throws BundleError with the first failed check.
 */
export async function verifyBundle(text: string, key: BundleKey, opts: { maxBytes: number; expectVersion?: string }): Promise<VerifiedBundle> {
  // UTF-16 length bounds the UTF-8 length from below; the JWS alphabet is ASCII anyway
  if (text.length > opts.maxBytes) throw new BundleError("too_large", `bundle of ${text.length} bytes is over the ${opts.maxBytes}-byte limit`);
  if (!COMPACT_JWS.test(text)) throw new BundleError("malformed", "bundle is not a compact JWS (truncated or altered?)");
  let payloadBytes: Uint8Array;
  try {
    const verified = await compactVerify(text, key, { algorithms: BUNDLE_ALGORITHMS });
    if (verified.protectedHeader.typ !== BUNDLE_TYPE) throw new BundleError("schema_invalid", `JWS \`typ\` is not \`${BUNDLE_TYPE}\``);
    payloadBytes = verified.payload;
  } catch (e) {
    if (e instanceof BundleError) throw e;
    if (e instanceof joseErrors.JWSSignatureVerificationFailed) throw new BundleError("signature_invalid", "signature does not verify with the configured key");
    if (e instanceof joseErrors.JOSEAlgNotAllowed) throw new BundleError("signature_invalid", "bundle is not signed with Ed25519");
    throw new BundleError("malformed", `bundle is not a valid JWS: ${e instanceof Error ? e.message : String(e)}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(payloadBytes));
  } catch {
    throw new BundleError("schema_invalid", "signed payload is not UTF-8 JSON");
  }
  const parsed = v.safeParse(bundlePayloadSchema, json);
  if (!parsed.success) {
    const issue = parsed.issues[0];
    const at = (issue.path ?? []).map((p) => String(p.key)).join(".");
    throw new BundleError("schema_invalid", `payload${at ? `.${at}` : ""}: ${issue.message}`);
  }
  const payload = parsed.output as BundlePayload;
  if (payload.ir.version !== payload.version) throw new BundleError("version_mismatch", "payload version differs from its policy set's");
  if (opts.expectVersion !== undefined && payload.version !== opts.expectVersion) {
    throw new BundleError("version_mismatch", `pointer names \`${opts.expectVersion.slice(0, 12)}\`, bundle is \`${payload.version.slice(0, 12)}\``);
  }
  let policies: CompiledPolicySet;
  try {
    policies = loadPolicyIr(payload.ir);
  } catch (e) {
    if (e instanceof PolicyIrError) throw new BundleError("schema_invalid", `policy IR ${e.message}`);
    throw new BundleError("schema_invalid", `policy IR could not be loaded: ${e instanceof Error ? e.message : String(e)}`);
  }
  return { payload, policies };
}
