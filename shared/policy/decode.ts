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
 * extension value, arrays are sets and other objects records. Integers may arrive as bigint
 * (from a lossless JSON parser) or as JS numbers, which must then be safe integers.
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

function decodeObject(obj: Record<string, unknown>): Value {
  if (Object.hasOwn(obj, "__entity")) return decodeEntityUid(obj.__entity);
  if (Object.hasOwn(obj, "__extn")) {
    const e = obj.__extn as { fn?: unknown; arg?: unknown; args?: unknown };
    if (typeof e !== "object" || e === null || typeof e.fn !== "string") fail("malformed `__extn` escape");
    // the constructors with a string argument are by far the most common: no argument list
    if (typeof e.arg === "string") {
      switch (e.fn) {
        case "ip":
          return parseIp(e.arg);
        case "datetime":
          return parseDatetime(e.arg);
        case "decimal":
          return parseDecimal(e.arg);
        case "duration":
          return parseDuration(e.arg);
      }
    }
    const args = Array.isArray(e.args) ? e.args.map(decodeValue) : [decodeValue(e.arg)];
    return callExtension(e.fn, args);
  }
  return CedarRecord.fromJson(obj, decodeValue);
}

/** Reads `{type, id}` or `{"__entity": {type, id}}` as an entity reference. */
export function decodeEntityUid(json: unknown): EntityUid {
  if (json instanceof EntityUid) return json;
  let o = json as { type?: unknown; id?: unknown; __entity?: unknown } | null;
  if (o !== null && typeof o === "object" && o.__entity !== undefined) o = o.__entity as typeof o;
  if (o === null || typeof o !== "object" || typeof o.type !== "string" || typeof o.id !== "string") {
    fail("malformed entity reference: expected `{type, id}`");
  }
  return new EntityUid(o.type, o.id);
}
