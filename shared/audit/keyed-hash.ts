// The keyed hash behind `clientIp: "hash"`: HMAC-SHA-256 (RFC 2104) from @noble/hashes, audited,
// synchronous and runtime-neutral (issue #22). WebCrypto is async only, and the audit line is built
// synchronously; a keyed *cryptographic* hash is needed because the IPv4 space is small enough to
// brute-force any unkeyed or weak hash.
import { hmac } from "@noble/hashes/hmac.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex, utf8ToBytes } from "@noble/hashes/utils.js";

/** A keyed hash: `hex(input)` is the first `hexChars` hex digits of HMAC-SHA-256(key, UTF-8 input). */
export interface KeyedHash {
  hex(input: string): string;
}

const MEMO_SIZE = 1024;

/** Prepares HMAC-SHA-256 with `key`; the padded-key states are computed once, here, and cloned per input. */
export function createHmacSha256(key: string, hexChars = 64): KeyedHash {
  const length = Math.min(64, Math.max(1, Math.floor(hexChars)));
  const keyed = hmac.create(sha256, utf8ToBytes(key));
  // One working copy, reset from the keyed state per input: no hash objects allocated per line
  let work = keyed.clone();
  // Requests from one address come in runs: its hash is kept, up to MEMO_SIZE addresses at a time
  const memo = new Map<string, string>();
  return {
    hex(input) {
      let out = memo.get(input);
      if (out === undefined) {
        work = keyed._cloneInto(work);
        out = bytesToHex(work.update(utf8ToBytes(input)).digest()).slice(0, length);
        if (memo.size >= MEMO_SIZE) memo.clear();
        memo.set(input, out);
      }
      return out;
    },
  };
}
