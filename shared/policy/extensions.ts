import { Datetime, Duration, datetimeOffset, durationIn, durationSince, parseDatetime, parseDuration, toDate, toTime } from "./datetime.ts";
import { Decimal, parseDecimal } from "./decimal.ts";
import { fail, typeError } from "./errors.ts";
import { IpAddr, parseIp } from "./ip.ts";
import { typeOfValue, type Value } from "./values.ts";

function str(v: Value, advice: string): string {
  if (typeof v === "string") return v;
  return typeError("string", typeOfValue(v) + advice);
}

function asIp(v: Value): IpAddr {
  if (v instanceof IpAddr) return v;
  return typeError("ipaddr", typeOfValue(v));
}

function asDecimal(v: Value): Decimal {
  if (v instanceof Decimal) return v;
  return typeError("decimal", typeOfValue(v));
}

function asDatetime(v: Value): Datetime {
  if (v instanceof Datetime) return v;
  return typeError("datetime", typeOfValue(v));
}

function asDuration(v: Value): Duration {
  if (v instanceof Duration) return v;
  return typeError("duration", typeOfValue(v));
}

/**
 * Every Cedar extension function by name, with its arity. Generated code calls these directly;
 * the JSON decoder uses them for `__extn` escapes. Each checks its argument types and throws a
 * policy evaluation error on a mismatch, like Cedar.
 */
export const extensionFunctions = {
  ip: (s: Value): Value => parseIp(str(s, "")),
  decimal: (s: Value): Value => parseDecimal(str(s, "")),
  datetime: (s: Value): Value => parseDatetime(str(s, "")),
  duration: (s: Value): Value => parseDuration(str(s, "")),
  isIpv4: (a: Value): Value => asIp(a).v4,
  isIpv6: (a: Value): Value => !asIp(a).v4,
  isLoopback: (a: Value): Value => asIp(a).isLoopback(),
  isMulticast: (a: Value): Value => asIp(a).isMulticast(),
  isInRange: (a: Value, b: Value): Value => {
    const x = asIp(a);
    return x.isInRange(asIp(b));
  },
  lessThan: (a: Value, b: Value): Value => {
    const x = asDecimal(a).value;
    return x < asDecimal(b).value;
  },
  lessThanOrEqual: (a: Value, b: Value): Value => {
    const x = asDecimal(a).value;
    return x <= asDecimal(b).value;
  },
  greaterThan: (a: Value, b: Value): Value => {
    const x = asDecimal(a).value;
    return x > asDecimal(b).value;
  },
  greaterThanOrEqual: (a: Value, b: Value): Value => {
    const x = asDecimal(a).value;
    return x >= asDecimal(b).value;
  },
  offset: (a: Value, b: Value): Value => {
    const x = asDatetime(a);
    return datetimeOffset(x, asDuration(b));
  },
  durationSince: (a: Value, b: Value): Value => {
    const x = asDatetime(a);
    return durationSince(x, asDatetime(b));
  },
  toDate: (a: Value): Value => toDate(asDatetime(a)),
  toTime: (a: Value): Value => toTime(asDatetime(a)),
  toMilliseconds: (a: Value): Value => asDuration(a).ms,
  toSeconds: (a: Value): Value => durationIn(asDuration(a), 1000),
  toMinutes: (a: Value): Value => durationIn(asDuration(a), 60_000),
  toHours: (a: Value): Value => durationIn(asDuration(a), 3_600_000),
  toDays: (a: Value): Value => durationIn(asDuration(a), 86_400_000),
} satisfies Record<string, (...args: Value[]) => Value>;

/** Name of a Cedar extension function. */
export type ExtensionFunctionName = keyof typeof extensionFunctions;

/** Whether `name` is a Cedar extension function. */
export function isExtensionFunction(name: string): name is ExtensionFunctionName {
  return Object.hasOwn(extensionFunctions, name);
}

/** Calls extension function `name` with `args`, checking the arity. */
export function callExtension(name: string, args: Value[]): Value {
  if (!isExtensionFunction(name)) fail(`unknown extension function \`${name}\``);
  const f = extensionFunctions[name] as (...a: Value[]) => Value;
  if (f.length !== args.length) {
    fail(`wrong number of arguments to \`${name}\`: expected ${f.length}, got ${args.length}`);
  }
  return f(...args);
}
