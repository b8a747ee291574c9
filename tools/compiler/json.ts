import { parse } from "lossless-json";

// Integers beyond ±(2^53−1) become bigint so no Long loses precision; the rest are numbers.
function parseNumber(text: string): number | bigint {
  if (/^-?[0-9]+$/.test(text)) {
    const n = Number(text);
    return Number.isSafeInteger(n) ? n : BigInt(text);
  }
  return Number(text);
}

/** Parses JSON keeping 64-bit integers exact (as bigint beyond the safe range). */
export function parseJsonLossless(text: string): unknown {
  return parse(text, null, parseNumber);
}

/**
 * The one way a string reaches generated code: a double-quoted JavaScript string literal. JSON
 * escapes quotes, backslashes, control characters and lone surrogates; U+2028 and U+2029 are
 * escaped too, so the literal never holds a line terminator and stays safe inside a `//` comment.
 */
export function jsString(s: string): string {
  return JSON.stringify(s).replace(/[\u2028\u2029]/g, (c) => (c === "\u2028" ? "\\u2028" : "\\u2029"));
}

/**
 * Serializes a JSON-like value (bigints allowed) as a JavaScript expression for generated code.
 * Strings are JSON-encoded; a `__proto__` key is written as a computed key so it stays an own
 * property instead of setting the prototype.
 */
export function toJsLiteral(v: unknown): string {
  switch (typeof v) {
    case "bigint":
      return v < 0n ? `(${v}n)` : `${v}n`;
    case "number":
      if (!Number.isFinite(v)) throw new TypeError(`cannot embed the number ${v}`);
      return v < 0 ? `(${v})` : String(v);
    case "string":
      return jsString(v);
    case "boolean":
      return String(v);
    case "object":
      if (v === null) return "null";
      if (Array.isArray(v)) return `[${v.map(toJsLiteral).join(", ")}]`;
      return `{${Object.entries(v)
        .map(([k, x]) => `${k === "__proto__" ? `[${jsString(k)}]` : jsString(k)}: ${toJsLiteral(x)}`)
        .join(", ")}}`;
  }
  throw new TypeError(`cannot embed a ${typeof v}`);
}

/** JSON text for hashing and display; bigints are written as plain integers. */
export function stringifyLossless(v: unknown): string {
  return JSON.stringify(v, (_k, x) => (typeof x === "bigint" ? `\u0000big:${x}` : x)).replace(/"\\u0000big:(-?[0-9]+)"/g, "$1");
}
