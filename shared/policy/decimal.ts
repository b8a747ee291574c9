import { fail } from "./errors.ts";
import { toLong, type Long } from "./long.ts";
import { ExtensionValue } from "./values.ts";

/** Cedar `decimal`: a 64-bit integer scaled by 10^4 (four fractional digits). */
export class Decimal extends ExtensionValue {
  readonly typeName = "decimal";
  /** The value times 10^4. */
  readonly value: Long;
  constructor(value: Long) {
    super();
    this.value = value;
  }
  key(): string {
    return this.value.toString();
  }
}

// Cedar matches `\d` in Unicode mode, but Rust's integer parser then rejects non-ASCII digits,
// so accepting ASCII digits only gives the same result.
const DECIMAL = /^(-?[0-9]+)\.([0-9]+)$/;

/** Cedar's `decimal("...")` constructor: at most 4 fractional digits, within the 64-bit range. */
export function parseDecimal(s: string): Decimal {
  const m = DECIMAL.exec(s);
  if (m === null) fail(`\`${s}\` is not a well-formed decimal value`);
  const whole = BigInt(m[1]) * 10000n;
  if (toLong(whole) === undefined) fail("overflow when converting to decimal");
  if (m[2].length > 4) fail(`too many digits after the decimal in \`${s}\``);
  const frac = BigInt(m[2]) * 10n ** BigInt(4 - m[2].length);
  const v = toLong(m[1].startsWith("-") ? whole - frac : whole + frac);
  if (v === undefined) fail("overflow when converting to decimal");
  return new Decimal(v);
}
