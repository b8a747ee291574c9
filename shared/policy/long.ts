import { overflow } from "./errors.ts";

/**
 * A Cedar Long: a signed 64-bit integer. It is a JS number whenever the value is a safe
 * integer and a bigint only beyond ±(2^53−1), so small values stay on V8's fast paths.
 * The representation is canonical (a safe value is never a bigint), so `===` is equality.
 */
export type Long = number | bigint;

const I64_MIN = -(2n ** 63n);
const I64_MAX = 2n ** 63n - 1n;
const SAFE = Number.MAX_SAFE_INTEGER;

/** Returns the canonical Long for `v`, or undefined when `v` lies outside the 64-bit range. */
export function toLong(v: bigint): Long | undefined {
  if (v < I64_MIN || v > I64_MAX) return undefined;
  if (v >= -9007199254740991n && v <= 9007199254740991n) return Number(v);
  return v;
}

function checked(v: bigint, op: string): Long {
  const r = toLong(v);
  if (r === undefined) overflow(op);
  return r;
}

// A float result within ±(2^53−1) of two safe integers is exact: rounding is monotonic and every
// integer up to 2^53 is representable, so an inexact result would land outside that range.
/** Checked 64-bit addition. */
export function addLong(a: Long, b: Long): Long {
  if (typeof a === "number" && typeof b === "number") {
    const r = a + b;
    if (r <= SAFE && r >= -SAFE) return r;
  }
  return checked(BigInt(a) + BigInt(b), "add");
}

/** Checked 64-bit subtraction. */
export function subLong(a: Long, b: Long): Long {
  if (typeof a === "number" && typeof b === "number") {
    const r = a - b;
    if (r <= SAFE && r >= -SAFE) return r;
  }
  return checked(BigInt(a) - BigInt(b), "subtract");
}

/** Checked 64-bit multiplication. */
export function mulLong(a: Long, b: Long): Long {
  if (typeof a === "number" && typeof b === "number") {
    const r = a * b;
    // `+ 0` turns -0 (from 0 * -n) into 0
    if (r <= SAFE && r >= -SAFE) return r + 0;
  }
  return checked(BigInt(a) * BigInt(b), "multiply");
}

/** Checked 64-bit negation (only i64::MIN overflows). */
export function negLong(a: Long): Long {
  if (typeof a === "number") return a === 0 ? 0 : -a;
  return checked(-a, "negate");
}

/** Canonical Long from a JS number or bigint known to be in range (used by decoders). */
export function longFrom(v: number | bigint): Long | undefined {
  if (typeof v === "number") return Number.isSafeInteger(v) ? v + 0 : undefined;
  return toLong(v);
}
