import { fail } from "./errors.ts";
import { toLong, type Long } from "./long.ts";
import { ExtensionValue } from "./values.ts";

/** A signed 64-bit count of milliseconds, ordered by that count: what `datetime` and `duration` share. */
abstract class MillisecondValue extends ExtensionValue {
  readonly ms: Long;
  constructor(ms: Long) {
    super();
    this.ms = ms;
  }
  key(): string {
    return this.ms.toString();
  }
  override get comparable(): boolean {
    return true;
  }
  override get ordinal(): Long {
    return this.ms;
  }
}

/** Cedar `datetime`: milliseconds since the Unix epoch, a signed 64-bit integer. */
export class Datetime extends MillisecondValue {
  readonly typeName = "datetime";
}

/** Cedar `duration`: a signed 64-bit number of milliseconds. */
export class Duration extends MillisecondValue {
  readonly typeName = "duration";
}

const DAY_MS = 86_400_000;
// Digit value of s[i], or -1 (the patterns Cedar uses accept ASCII digits only).
function digit(s: string, i: number): number {
  const c = s.charCodeAt(i) - 48;
  return c >= 0 && c <= 9 ? c : -1;
}

function digits(s: string, i: number, n: number): number {
  let v = 0;
  for (let j = 0; j < n; j++) {
    const d = digit(s, i + j);
    if (d < 0) return -1;
    v = v * 10 + d;
  }
  return v;
}

// Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's days_from_civil).
function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function validDate(y: number, m: number, d: number): boolean {
  if (m < 1 || m > 12 || d < 1) return false;
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  return d <= (m === 2 && leap ? 29 : MONTH_DAYS[m - 1]);
}

/**
 * Cedar's `datetime("...")` constructor: `YYYY-MM-DD`, optionally followed by `Thh:mm:ss`,
 * optional `.SSS` and then `Z` or a `(+|-)hhmm` offset.
 */
export function parseDatetime(s: string): Datetime {
  // Hand-written to match Cedar's three regexes in order: `^YYYY-MM-DD`, `^Thh:mm:ss`,
  // `^(\.SSS)?(Z|(+|-)hhmm)$`; the context's `time` is parsed on every request.
  const y = digits(s, 0, 4);
  const mo = digits(s, 5, 2);
  const d = digits(s, 8, 2);
  if (y < 0 || mo < 0 || d < 0 || s[4] !== "-" || s[7] !== "-") fail("invalid date pattern");
  const days = daysFromCivil(y, mo, d);
  if (s.length === 10) {
    if (!validDate(y, mo, d)) fail(`invalid date: ${s.slice(0, 10)}`);
    return new Datetime(days * DAY_MS);
  }
  const h = digits(s, 11, 2);
  const mi = digits(s, 14, 2);
  const sec = digits(s, 17, 2);
  if (s[10] !== "T" || h < 0 || mi < 0 || sec < 0 || s[13] !== ":" || s[16] !== ":") fail("invalid hour/minute/second pattern");
  let i = 19;
  let ms = 0;
  if (s[i] === ".") {
    ms = digits(s, i + 1, 3);
    if (ms < 0) fail("invalid millisecond and/or offset pattern");
    i += 4;
  }
  let offsetMs = 0;
  let oh = 0;
  let om = 0;
  if (s[i] === "Z" && s.length === i + 1) {
    // UTC
  } else if ((s[i] === "+" || s[i] === "-") && s.length === i + 5 && (oh = digits(s, i + 1, 2)) >= 0 && (om = digits(s, i + 3, 2)) >= 0) {
    offsetMs = (oh * 3600 + om * 60) * 1000 * (s[i] === "+" ? 1 : -1);
  } else {
    fail("invalid millisecond and/or offset pattern");
  }
  if (!validDate(y, mo, d)) fail(`invalid date: ${s.slice(0, 10)}`);
  if (h > 23 || mi > 59 || sec > 59) fail(`invalid hour/minute/second: ${s.slice(11, 19)}`);
  if (oh >= 24 || om >= 60) fail(`invalid offset range: ${oh}${om}`);
  return new Datetime(days * DAY_MS + ((h * 60 + mi) * 60 + sec) * 1000 + ms - offsetMs);
}

const DURATION = /^-?(?:([0-9]+)d)?(?:([0-9]+)h)?(?:([0-9]+)m)?(?:([0-9]+)s)?(?:([0-9]+)ms)?$/;
const I64_MAX = 2n ** 63n - 1n;

/** Cedar's `duration("...")` constructor, e.g. `1d2h3m4s5ms` or `-90m`. */
export function parseDuration(s: string): Duration {
  if (s === "" || s === "-") fail("invalid duration pattern");
  const m = DURATION.exec(s);
  if (m === null) fail("invalid duration pattern");
  const units = [86_400_000n, 3_600_000n, 60_000n, 1000n, 1n];
  let total = 0n;
  for (let i = 0; i < 5; i++) {
    const g = m[i + 1];
    if (g === undefined) continue;
    const term = BigInt(g) * units[i];
    // every term must fit in an i64 on its own, as in Cedar's checked arithmetic
    if (term > (i === 4 && s[0] === "-" ? I64_MAX + 1n : I64_MAX)) fail("duration overflows internal representation");
    total += term;
  }
  const v = toLong(s[0] === "-" ? -total : total);
  if (v === undefined) fail("duration overflows internal representation");
  return new Duration(v);
}

function big(v: Long): bigint {
  return typeof v === "bigint" ? v : BigInt(v);
}

/** `dt.offset(dur)`: checked addition. */
export function datetimeOffset(dt: Datetime, dur: Duration): Datetime {
  const v = toLong(big(dt.ms) + big(dur.ms));
  if (v === undefined) fail("overflows when adding an offset");
  return new Datetime(v);
}

/** `a.durationSince(b)`: checked subtraction. */
export function durationSince(a: Datetime, b: Datetime): Duration {
  const v = toLong(big(a.ms) - big(b.ms));
  if (v === undefined) fail("overflows when computing the duration between two datetimes");
  return new Duration(v);
}

/** `dt.toDate()`: midnight (UTC) of the day containing `dt`, rounding down for negative times. */
export function toDate(dt: Datetime): Datetime {
  const ms = big(dt.ms);
  const rem = ((ms % 86_400_000n) + 86_400_000n) % 86_400_000n;
  const v = toLong(ms - rem);
  if (v === undefined) fail("overflows when computing the date");
  return new Datetime(v);
}

/** `dt.toTime()`: time since midnight (UTC) as a duration. */
export function toTime(dt: Datetime): Duration {
  const ms = big(dt.ms);
  const rem = ((ms % 86_400_000n) + 86_400_000n) % 86_400_000n;
  return new Duration(Number(rem));
}

/** Truncating division of a duration's milliseconds, for `toSeconds()` and friends. */
export function durationIn(d: Duration, unitMs: number): Long {
  const ms = d.ms;
  if (typeof ms === "number") {
    const r = ms % unitMs;
    return (ms - r) / unitMs + 0;
  }
  return toLong(ms / BigInt(unitMs))!;
}
