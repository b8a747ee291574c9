// Signs a policy IR into a bundle (issue #18): a compact JWS, Ed25519, `typ: gatehouse-policy-bundle`.
import { CompactSign, importJWK, type JWK } from "jose";
import { BUNDLE_TYPE, type BundlePayload } from "../../shared/bundle/index.ts";
import { loadPolicyIr, type PolicyIr } from "../../shared/policy/bundle/index.ts";

/** An Ed25519 private JWK (`d` present), as `gatehouse bundles keygen` writes it. */
export type BundlePrivateJwk = JWK & { kty: "OKP"; crv: "Ed25519"; d: string; x: string };

/** Whether `jwk` is an Ed25519 private JWK. */
export function isBundlePrivateJwk(jwk: unknown): jwk is BundlePrivateJwk {
  const k = jwk as Record<string, unknown> | null;
  return typeof k === "object" && k !== null && k.kty === "OKP" && k.crv === "Ed25519" && typeof k.d === "string" && typeof k.x === "string";
}

/**
 * Signs `ir` after checking it loads (a bundle every authorizer would refuse is not published).
 * `createdAt` is the publisher's time, Unix ms. Returns the JWS text and the payload.
 */
export async function signBundle(ir: PolicyIr, key: BundlePrivateJwk, createdAt: number): Promise<{ text: string; payload: BundlePayload }> {
  loadPolicyIr(ir);
  const payload: BundlePayload = { format: BUNDLE_TYPE, version: ir.version, createdAt: Math.floor(createdAt), ir: ir as unknown as Record<string, unknown> };
  const privateKey = await importJWK(key, "Ed25519");
  const header: { alg: string; typ: string; kid?: string } = { alg: "Ed25519", typ: BUNDLE_TYPE };
  if (typeof key.kid === "string") header.kid = key.kid;
  const text = await new CompactSign(new TextEncoder().encode(JSON.stringify(payload))).setProtectedHeader(header).sign(privateKey);
  return { text, payload };
}
