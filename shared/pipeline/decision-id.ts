// Decision ids are random (version 4) UUIDs, RFC 9562 §5.4. `crypto.randomUUID()` in Node builds its
// text from several pieces, and every later read of it (the escape check of the audit line, a header
// value) first copies it into one string; this writes the 36 characters at once, from random bytes
// drawn in batches as Node's own `randomUUID` does, so one id costs one string.

const HEX_DIGITS = new Uint8Array(16);
for (let i = 0; i < 16; i++) HEX_DIGITS[i] = "0123456789abcdef".charCodeAt(i);

// 128 ids' worth of random bytes per `getRandomValues` call (2 KiB, under its 64 KiB limit)
const IDS_PER_DRAW = 128;
const randomBytes = new Uint8Array(16 * IDS_PER_DRAW);
let nextId = IDS_PER_DRAW;

function high(byte: number): number {
  return HEX_DIGITS[byte >> 4];
}

function low(byte: number): number {
  return HEX_DIGITS[byte & 15];
}

/** A new random UUID (version 4, variant 10), lower-case, e.g. `1b4e28ba-2fa1-41d2-883f-0016d3cca427`. */
export function newDecisionId(): string {
  if (nextId === IDS_PER_DRAW) {
    crypto.getRandomValues(randomBytes);
    nextId = 0;
  }
  const o = nextId++ * 16;
  const b = randomBytes;
  // The version nibble is 4 and the variant bits are 10 (RFC 9562 §4.1, §4.2)
  const b6 = (b[o + 6] & 0x0f) | 0x40;
  const b8 = (b[o + 8] & 0x3f) | 0x80;
  return String.fromCharCode(
    high(b[o]), low(b[o]), high(b[o + 1]), low(b[o + 1]), high(b[o + 2]), low(b[o + 2]), high(b[o + 3]), low(b[o + 3]), 45,
    high(b[o + 4]), low(b[o + 4]), high(b[o + 5]), low(b[o + 5]), 45,
    high(b6), low(b6), high(b[o + 7]), low(b[o + 7]), 45,
    high(b8), low(b8), high(b[o + 9]), low(b[o + 9]), 45,
    high(b[o + 10]), low(b[o + 10]), high(b[o + 11]), low(b[o + 11]), high(b[o + 12]), low(b[o + 12]),
    high(b[o + 13]), low(b[o + 13]), high(b[o + 14]), low(b[o + 14]), high(b[o + 15]), low(b[o + 15]),
  );
}
