// DPoP proof verification (RFC 9449 §4.3, issue #20). The proof is a JWT the client signs with the
// key its access token is bound to (`cnf.jkt`), fresh for each request: it names the method and URL,
// when it was made, and the hash of the access token it goes with.
import { sha256 } from "@noble/hashes/sha2.js";
import { utf8ToBytes } from "@noble/hashes/utils.js";
import { base64url, calculateJwkThumbprint, compactVerify, importJWK, type JWK } from "jose";
import { decodeJsonSegment } from "./internal.ts";
import type { ResolvedDpop } from "./provider-config.ts";
import { senderFailure, type SenderFailure } from "./sender-reasons.ts";

/** The request a proof must match. */
export interface DpopRequest {
  /** HTTP method as sent (`htm` is compared exactly, RFC 9449 §4.3 check 8). */
  readonly method: string;
  /** The absolute URL requested; query and fragment are ignored (§4.3 check 9). */
  readonly url: string;
  /** The access token the proof must hash to (`ath`). */
  readonly accessToken: string;
  /** The token's `cnf.jkt`. */
  readonly jkt: string;
}

/** A proof that passed every check but replay: its `jti` and `iat`, for the replay check. */
export interface CheckedProof {
  readonly ok: true;
  readonly jti: string;
  readonly iat: number;
}

const SEGMENT = /^[A-Za-z0-9_-]+$/;
// RFC 7517 §9.1 / RFC 7518 §6: members that only a private or symmetric key has
const PRIVATE_MEMBERS = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];
const MAX_PROOF_LENGTH = 8192;
const MAX_KEYS = 1000;

/**
 * Checks DPoP proofs. Imported proof keys are kept by their JSON (clients reuse one key), at most
 * a thousand; the rest is done per proof, as each proof is new.
 */
export function createDpopProofChecker() {
  const keys = new Map<string, Promise<CryptoKey | null>>();

  function keyFor(jwk: JWK, alg: string): Promise<CryptoKey | null> {
    const id = alg + JSON.stringify(jwk);
    let key = keys.get(id);
    if (key === undefined) {
      key = importJWK(jwk, alg).then((k) => (k instanceof Uint8Array ? null : k), () => null);
      if (keys.size >= MAX_KEYS) keys.delete(keys.keys().next().value!);
      keys.set(id, key);
    }
    return key;
  }

  /** Every check of RFC 9449 §4.3 but `jti` replay, in an order that verifies before it reads claims. */
  return async function checkProof(proof: string, request: DpopRequest, config: ResolvedDpop, nowMs: number): Promise<CheckedProof | SenderFailure> {
    if (proof.length > MAX_PROOF_LENGTH) return senderFailure("dpop_proof_malformed", "dpop");
    const parts = proof.split(".");
    // An empty signature is left to the `alg` check (`none`) and the signature check
    if (parts.length !== 3 || !SEGMENT.test(parts[0]) || !SEGMENT.test(parts[1]) || (parts[2] !== "" && !SEGMENT.test(parts[2]))) return senderFailure("dpop_proof_malformed", "dpop");
    const header = decodeJsonSegment(parts[0]);
    if (header === undefined) return senderFailure("dpop_proof_malformed", "header");
    if (header.typ !== "dpop+jwt") return senderFailure("dpop_wrong_typ", "typ");
    const alg = header.alg;
    // `none` and HMAC algorithms are never in the allowlist (config refuses them)
    if (typeof alg !== "string" || !config.algorithms.has(alg)) return senderFailure("dpop_alg_not_allowed", "alg");
    if (header.crit !== undefined) return senderFailure("dpop_proof_malformed", "crit");
    const jwk = header.jwk;
    if (typeof jwk !== "object" || jwk === null || Array.isArray(jwk)) return senderFailure("dpop_bad_jwk", "jwk");
    const members = jwk as Record<string, unknown>;
    // A private key in the proof means the client leaked it; a symmetric one would let anyone sign
    if (typeof members.kty !== "string" || members.kty === "oct" || PRIVATE_MEMBERS.some((name) => members[name] !== undefined)) return senderFailure("dpop_bad_jwk", "jwk");

    const key = await keyFor(members as JWK, alg);
    if (key === null) return senderFailure("dpop_bad_jwk", "jwk");
    let payloadBytes: Uint8Array;
    try {
      ({ payload: payloadBytes } = await compactVerify(proof, key, { algorithms: [alg] }));
    } catch {
      return senderFailure("dpop_bad_signature", "signature");
    }
    const claims = decodeJsonSegment(parts[1]);
    if (claims === undefined || payloadBytes.byteLength === 0) return senderFailure("dpop_proof_malformed", "payload");
    const { jti, htm, htu, iat, ath } = claims;
    if (typeof jti !== "string" || jti.length === 0 || jti.length > 256) return senderFailure("dpop_proof_malformed", "jti");
    if (typeof htm !== "string") return senderFailure("dpop_proof_malformed", "htm");
    if (typeof htu !== "string") return senderFailure("dpop_proof_malformed", "htu");
    if (typeof iat !== "number" || !Number.isFinite(iat)) return senderFailure("dpop_proof_malformed", "iat");
    if (htm !== request.method) return senderFailure("dpop_htm_mismatch", "htm");
    if (!sameResource(htu, request.url)) return senderFailure("dpop_htu_mismatch", "htu");
    if (Math.abs(nowMs / 1000 - iat) > config.iatWindowSeconds) return senderFailure("dpop_iat_out_of_window", "iat");
    if (typeof ath !== "string" || !equalText(ath, accessTokenHash(request.accessToken))) return senderFailure("dpop_ath_mismatch", "ath");
    let thumbprint: string;
    try {
      thumbprint = await calculateJwkThumbprint(members as JWK, "sha256");
    } catch {
      return senderFailure("dpop_bad_jwk", "jwk");
    }
    if (!equalText(thumbprint, request.jkt)) return senderFailure("dpop_key_mismatch", "jkt");
    // RFC 9449 §8, checked last so only an otherwise valid proof is told to use a nonce
    if (config.nonce !== null && !config.nonce.accepts(claims.nonce, nowMs)) return senderFailure("dpop_nonce_required", "nonce");
    return { ok: true, jti, iat };
  };
}

/** `ath` (RFC 9449 §4.2): base64url of the SHA-256 of the access token's ASCII bytes. */
export function accessTokenHash(token: string): string {
  return base64url.encode(sha256(utf8ToBytes(token)));
}

// RFC 9449 §4.3 check 9: compare scheme, host and path after syntax-based normalisation (RFC 3986
// §6.2.2-6.2.3: case of scheme and host, default port, dot segments), ignoring query and fragment.
// The URL parser does exactly that normalisation.
function sameResource(htu: string, requested: string): boolean {
  try {
    const a = new URL(htu);
    const b = new URL(requested);
    return a.protocol === b.protocol && a.host === b.host && a.pathname === b.pathname;
  } catch {
    return false;
  }
}

/** Compares two strings in time that depends on their length only. */
export function equalText(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}
