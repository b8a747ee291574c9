// DPoP server nonces (RFC 9449 §8), issue #20. A nonce is stateless, so any instance that holds the
// same key accepts it: the time window it was made in and an HMAC-SHA-256 over that window. One is
// accepted in its own window and the next, so a nonce lives between one and two windows. Only
// @noble/hashes here: config resolution builds it, and must not load jose.
import { hmac } from "@noble/hashes/hmac.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex, utf8ToBytes } from "@noble/hashes/utils.js";

/** Makes and checks nonces for one issuer; `nowMs` is the authorizer's one clock. */
export interface DpopNonces {
  /** A nonce for the window `nowMs` falls in (the same text for every call in that window). */
  issue(nowMs: number): string;
  /** Whether `nonce` was made with this key in the current or the previous window. */
  accepts(nonce: unknown, nowMs: number): boolean;
}

const WINDOW = /^[0-9]{1,12}$/;

/** Prepares nonces keyed with `secret`, over windows of `windowSeconds`. */
export function createDpopNonces(secret: string, windowSeconds: number): DpopNonces {
  const keyed = hmac.create(sha256, utf8ToBytes(secret));
  const windowMs = windowSeconds * 1000;
  // One nonce per window is all there is to compute: keep the last two
  const made = new Map<number, string>();

  function nonceFor(window: number): string {
    let nonce = made.get(window);
    if (nonce === undefined) {
      // Domain-separated so the key could never sign anything else in this shape
      const tag = bytesToHex(keyed.clone().update(utf8ToBytes(`gatehouse-dpop-nonce:${window}`)).digest());
      nonce = `${window}.${tag}`;
      if (made.size >= 2) made.delete(made.keys().next().value!);
      made.set(window, nonce);
    }
    return nonce;
  }

  return {
    issue(nowMs) {
      return nonceFor(Math.floor(nowMs / windowMs));
    },
    accepts(nonce, nowMs) {
      if (typeof nonce !== "string" || nonce.length > 128) return false;
      const dot = nonce.indexOf(".");
      const windowText = nonce.slice(0, dot);
      if (dot < 0 || !WINDOW.test(windowText)) return false;
      const window = Number(windowText);
      const current = Math.floor(nowMs / windowMs);
      if (window !== current && window !== current - 1) return false;
      return sameText(nonce, nonceFor(window));
    },
  };
}

// Constant time for equal lengths: the nonce's tag is a secret until the client is given it
function sameText(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}
