import { fail } from "./errors.ts";
import { parseDatetime, parseDuration } from "./datetime.ts";
import { parseDecimal } from "./decimal.ts";
import { callExtension } from "./extensions.ts";
import { parseIp } from "./ip.ts";
import { longFrom } from "./long.ts";
import { CedarRecord, CedarSet, EntityUid, ExtensionValue, type Value } from "./values.ts";

/**
 * Converts a value in Cedar's JSON encoding (entity attributes, tags, context) to a runtime
 * value: `{"__entity": {type, id}}` is an entity reference, `{"__extn": {fn, arg | args}}` an
 * extension value (each only as the object's sole key), arrays are sets and other objects
 * records. Integers may arrive as bigint (from a lossless JSON parser) or as JS numbers, which
 * must then be safe integers.
 * Records decode their attributes lazily. Throws a policy evaluation error on bad input.
 */
export function decodeValue(json: unknown): Value {
  switch (typeof json) {
    case "boolean":
    case "string":
      return json;
    case "number":
    case "bigint": {
      const v = longFrom(json);
      if (v === undefined) fail(`\`${String(json)}\` is not a 64-bit integer or is not exactly representable`);
      return v;
    }
    case "object":
      if (json === null) fail("null is not a Cedar value");
      // Already parsed by the caller (the pipeline's `ip` and `time`, issue #22): no format-then-parse
      if (json instanceof ExtensionValue) return json;
      if (Array.isArray(json)) return new CedarSet(json.map(decodeValue));
      return decodeObject(json as Record<string, unknown>);
  }
  return fail(`a ${typeof json} is not a Cedar value`);
}

// Cedar reads an object as an escape only when the escape is its only key and is well formed
// (`{type, id}` strings; `fn` a string with `arg`, or with an `args` array); any other object,
// including a near miss, is a record (cedar-policy-core/src/entities/json/value.rs, #23).
function decodeObject(obj: Record<string, unknown>): Value {
  // the common case first, in a function small enough to inline: a record with no escape key
  if (!Object.hasOwn(obj, "__entity") && !Object.hasOwn(obj, "__extn") && !Object.hasOwn(obj, "__expr")) return CedarRecord.fromJson(obj, decodeValue);
  return decodeEscape(obj);
}

function decodeEscape(obj: Record<string, unknown>): Value {
  if (Object.hasOwn(obj, "__entity")) {
    const e = obj.__entity as { type?: unknown; id?: unknown } | null;
    if (typeof e === "object" && e !== null && typeof e.type === "string" && typeof e.id === "string" && !Array.isArray(e) && soleKey(obj)) {
      return new EntityUid(e.type, e.id);
    }
  } else if (Object.hasOwn(obj, "__extn")) {
    const e = obj.__extn as { fn?: unknown; arg?: unknown; args?: unknown } | null;
    if (typeof e === "object" && e !== null && typeof e.fn === "string" && (e.arg !== undefined || Array.isArray(e.args)) && soleKey(obj)) {
      return decodeExtension(e.fn, e.arg, e.args as unknown[]);
    }
  } else if (Object.hasOwn(obj, "__expr") && typeof obj.__expr === "string" && soleKey(obj)) {
    fail("the `__expr` escape is no longer supported");
  }
  return CedarRecord.fromJson(obj, decodeValue);
}

// Whether `obj` has exactly one key (it has at least the one just found), without listing them.
function soleKey(obj: object): boolean {
  let n = 0;
  for (const _ in obj) if (++n > 1) return false;
  return true;
}

// `arg` wins over `args` when both are given, as in Cedar.
function decodeExtension(fn: string, arg: unknown, args: unknown[]): Value {
  if (arg === undefined) return callExtension(fn, args.map(decodeValue));
  // the constructors with a string argument are by far the most common: no argument list
  if (typeof arg === "string") {
    switch (fn) {
      case "ip":
        return parseIp(arg);
      case "datetime":
        return parseDatetime(arg);
      case "decimal":
        return parseDecimal(arg);
      case "duration":
        return parseDuration(arg);
    }
  }
  return callExtension(fn, [decodeValue(arg)]);
}

/** Reads `{type, id}` or `{"__entity": {type, id}}` as an entity reference. */
export function decodeEntityUid(json: unknown): EntityUid {
  if (json instanceof EntityUid) return json;
  const o = uidParts(json);
  return new EntityUid(o.type, o.id);
}

/** The checked `{type, id}` of an entity reference as `decodeEntityUid` reads it, without building an `EntityUid`. */
export function uidParts(json: unknown): { readonly type: string; readonly id: string } {
  let o = json as { type?: unknown; id?: unknown; __entity?: unknown } | null;
  // an EntityUid has no `__entity` and passes the checks below as it is: the class test is left
  // for the rare object that has one (`instanceof` on every plain uid costs more than the rest)
  if (o !== null && typeof o === "object" && o.__entity !== undefined && !(json instanceof EntityUid)) o = o.__entity as typeof o;
  if (o === null || typeof o !== "object" || typeof o.type !== "string" || typeof o.id !== "string") {
    fail("malformed entity reference: expected `{type, id}`");
  }
  return o as { type: string; id: string };
}
