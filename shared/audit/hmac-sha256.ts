// Synchronous HMAC-SHA-256 (RFC 2104, FIPS 180-4) for hashing client addresses on the hot path.
// WebCrypto is async only, and the audit line is built synchronously; a keyed *cryptographic* hash
// is needed because the IPv4 space is small enough to brute-force any unkeyed or weak hash.

let K: Int32Array | undefined;

// The round constants are the first 32 fractional bits of the cube roots of the first 64 primes;
// computed on first use rather than at module scope (tests compare the output with node:crypto).
function roundConstants(): Int32Array {
  if (K) return K;
  const k = new Int32Array(64);
  let n = 0;
  for (let p = 2; n < 64; p++) {
    let prime = true;
    for (let d = 2; d * d <= p; d++) if (p % d === 0) { prime = false; break; }
    if (!prime) continue;
    const root = Math.cbrt(p);
    k[n++] = Math.floor((root - Math.floor(root)) * 0x100000000) | 0;
  }
  return (K = k);
}

const INITIAL = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];

// All arithmetic stays in int32 (`| 0`, Int32Array): uint32 values above 2^30 would leave V8's
// small-integer range and box on every operation.
/** Runs the compression function over one 64-byte block of `block` at `offset`, updating `h`. */
function compress(h: Int32Array, block: Uint8Array, offset: number, w: Int32Array): void {
  const k = roundConstants();
  for (let i = 0; i < 16; i++) {
    const j = offset + i * 4;
    w[i] = (block[j] << 24) | (block[j + 1] << 16) | (block[j + 2] << 8) | block[j + 3];
  }
  for (let i = 16; i < 64; i++) {
    const a = w[i - 15];
    const b = w[i - 2];
    const s0 = ((a >>> 7) | (a << 25)) ^ ((a >>> 18) | (a << 14)) ^ (a >>> 3);
    const s1 = ((b >>> 17) | (b << 15)) ^ ((b >>> 19) | (b << 13)) ^ (b >>> 10);
    w[i] = (w[i - 16] + s0 + w[i - 7] + s1) | 0;
  }
  let a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
  for (let i = 0; i < 64; i++) {
    const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
    const ch = (e & f) ^ (~e & g);
    const t1 = (hh + S1 + ch + k[i] + w[i]) | 0;
    const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
    const maj = (a & b) ^ (a & c) ^ (b & c);
    hh = g;
    g = f;
    f = e;
    e = (d + t1) | 0;
    d = c;
    c = b;
    b = a;
    a = (t1 + S0 + maj) | 0;
  }
  h[0] = (h[0] + a) | 0;
  h[1] = (h[1] + b) | 0;
  h[2] = (h[2] + c) | 0;
  h[3] = (h[3] + d) | 0;
  h[4] = (h[4] + e) | 0;
  h[5] = (h[5] + f) | 0;
  h[6] = (h[6] + g) | 0;
  h[7] = (h[7] + hh) | 0;
}

/**
 * Hashes `message` continuing from `state`, which has already absorbed `prefixBytes` bytes
 * (a multiple of 64), and writes the digest into `out`.
 */
function finish(
  state: Int32Array,
  prefixBytes: number,
  message: Uint8Array,
  length: number,
  out: Int32Array,
  w: Int32Array,
  tail: Uint8Array,
): void {
  const h = out;
  h.set(state);
  let offset = 0;
  for (; offset + 64 <= length; offset += 64) compress(h, message, offset, w);
  const rest = length - offset;
  // padding: 0x80, zeros, then the total length in bits as a 64-bit big-endian integer
  const end = rest + 9 <= 64 ? 64 : 128;
  tail.fill(0, 0, end);
  for (let i = 0; i < rest; i++) tail[i] = message[offset + i];
  tail[rest] = 0x80;
  const bits = (prefixBytes + length) * 8;
  tail[end - 1] = bits & 0xff;
  tail[end - 2] = (bits >>> 8) & 0xff;
  tail[end - 3] = (bits >>> 16) & 0xff;
  tail[end - 4] = (bits >>> 24) & 0xff;
  const high = Math.floor(bits / 0x100000000);
  tail[end - 5] = high & 0xff;
  tail[end - 6] = (high >>> 8) & 0xff;
  tail[end - 7] = (high >>> 16) & 0xff;
  tail[end - 8] = (high >>> 24) & 0xff;
  compress(h, tail, 0, w);
  if (end === 128) compress(h, tail, 64, w);
}

/** A keyed hash: `hex(input)` is the first `hexChars` hex digits of HMAC-SHA-256(key, UTF-8 input). */
export interface KeyedHash {
  hex(input: string): string;
}

const encoder = /* @__PURE__ */ new TextEncoder();
const HEX = "0123456789abcdef";

/** Prepares HMAC-SHA-256 with `key`; the padded-key states are computed once, here. */
export function createHmacSha256(key: string, hexChars = 64): KeyedHash {
  hexChars = Math.min(64, Math.max(1, Math.floor(hexChars)));
  let keyBytes: Uint8Array = encoder.encode(key);
  const w = new Int32Array(64);
  const digest = new Int32Array(8);
  const tail = new Uint8Array(128);
  const scratch = new Uint8Array(64);
  if (keyBytes.length > 64) {
    finish(Int32Array.from(INITIAL), 0, keyBytes, keyBytes.length, digest, w, tail);
    keyBytes = wordsToBytes(digest);
  }
  const pad = new Uint8Array(64);
  const inner = Int32Array.from(INITIAL);
  const outer = Int32Array.from(INITIAL);
  for (let i = 0; i < 64; i++) pad[i] = (keyBytes[i] ?? 0) ^ 0x36;
  compress(inner, pad, 0, w);
  for (let i = 0; i < 64; i++) pad[i] = (keyBytes[i] ?? 0) ^ 0x5c;
  compress(outer, pad, 0, w);
  const innerDigest = new Int32Array(8);
  const innerBytes = new Uint8Array(32);
  return {
    hex(input) {
      // ASCII (every address) is copied into a reused buffer; anything else goes through TextEncoder
      let message: Uint8Array = scratch;
      let length = input.length;
      for (let i = 0; i < length; i++) {
        const c = input.charCodeAt(i);
        if (c > 0x7f || i >= scratch.length) {
          message = encoder.encode(input);
          length = message.length;
          break;
        }
        scratch[i] = c;
      }
      finish(inner, 64, message, length, innerDigest, w, tail);
      for (let i = 0; i < 8; i++) {
        const v = innerDigest[i];
        innerBytes[i * 4] = v >>> 24;
        innerBytes[i * 4 + 1] = (v >>> 16) & 0xff;
        innerBytes[i * 4 + 2] = (v >>> 8) & 0xff;
        innerBytes[i * 4 + 3] = v & 0xff;
      }
      finish(outer, 64, innerBytes, 32, digest, w, tail);
      let out = "";
      for (let i = 0; i < hexChars; i++) out += HEX[(digest[i >>> 3] >>> (28 - (i & 7) * 4)) & 0xf];
      return out;
    },
  };
}

function wordsToBytes(words: Int32Array): Uint8Array {
  const bytes = new Uint8Array(words.length * 4);
  for (let i = 0; i < words.length; i++) {
    bytes[i * 4] = words[i] >>> 24;
    bytes[i * 4 + 1] = (words[i] >>> 16) & 0xff;
    bytes[i * 4 + 2] = (words[i] >>> 8) & 0xff;
    bytes[i * 4 + 3] = words[i] & 0xff;
  }
  return bytes;
}
