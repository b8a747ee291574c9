// The operators of Cedar's expression language, called by generated policy code. Each checks its
// operand types exactly as Cedar's evaluator does and throws a PolicyEvaluationError otherwise.
import { decodeValue } from "./decode.ts";
import type { EntityView } from "./entities.ts";
import { setHas, setSubset, valueEquals } from "./equal.ts";
import { fail, typeError } from "./errors.ts";
import { extensionFunctions } from "./extensions.ts";
import { LikePattern, type PatternElem } from "./like.ts";
import { addLong, mulLong, negLong, subLong, type Long } from "./long.ts";
import { CedarRecord, CedarSet, EntityUid, ExtensionValue, NO_ATTRS, typeOfValue, type JsonAttrs, type Value } from "./values.ts";

/** What a compiled condition reads: the request and the entities in scope. */
export interface RequestView {
  readonly principal: EntityUid;
  readonly action: EntityUid;
  readonly resource: EntityUid;
  readonly context: CedarRecord;
  readonly entities: EntityView;
  /**
   * The JSON attributes of the principal, the resource and the context where they lie, for the
   * generated code's direct reads (`attrAt`, `hasAt`, `containsAt`), or `NO_ATTRS` when they are
   * not a plain record (`plainRecord`: `Object.prototype`, not an array; then every read takes
   * the checked path). An entity's are given only when its uid and parents checked out.
   */
  readonly pa: JsonAttrs;
  readonly ra: JsonAttrs;
  readonly cx: JsonAttrs;
}

export { NO_ATTRS, type JsonAttrs };

/** `Object.prototype`, for the generated code's `"name" in $OP` (see `attrAt`). */
export const OP: object = Object.prototype;

/** The operand of `&&`, `||`, `!` and `if` must be a boolean. */
export function bool(v: Value): boolean {
  if (typeof v === "boolean") return v;
  return typeError("bool", typeOfValue(v));
}

function long(v: Value): Long {
  if (typeof v === "number" || typeof v === "bigint") return v;
  return typeError("long", typeOfValue(v));
}

function entity(v: Value): EntityUid {
  if (v instanceof EntityUid) return v;
  return typeError("entity", typeOfValue(v));
}

function set(v: Value): CedarSet {
  if (v instanceof CedarSet) return v;
  return typeError("set", typeOfValue(v));
}

/** `==` */
export const eq = valueEquals;

// Operands of the comparison in progress, set by `order` (no tuple allocated per comparison).
let left: Long = 0;
let right: Long = 0;

/** Operands of `<`, `<=`, `>`, `>=`: two Longs or two datetimes or two durations. */
function order(a: Value, b: Value): void {
  const ta = typeof a;
  const tb = typeof b;
  if ((ta === "number" || ta === "bigint") && (tb === "number" || tb === "bigint")) {
    left = a as Long;
    right = b as Long;
    return;
  }
  if (a instanceof ExtensionValue && b instanceof ExtensionValue && a.comparable && b.comparable && a.typeName === b.typeName) {
    left = a.ordinal;
    right = b.ordinal;
    return;
  }
  if (ta === "number" || ta === "bigint") return typeError("long", typeOfValue(b));
  if (tb === "number" || tb === "bigint") return typeError("long", typeOfValue(a));
  if (a instanceof ExtensionValue && a.comparable) return typeError(a.typeName, typeOfValue(b));
  if (b instanceof ExtensionValue && b.comparable) return typeError(b.typeName, typeOfValue(a));
  return typeError("one of long, datetime, duration", typeOfValue(a));
}

/** `<` */
export function lt(a: Value, b: Value): boolean {
  if (typeof a === "number" && typeof b === "number") return a < b;
  order(a, b);
  return left < right;
}

/** `<=` */
export function le(a: Value, b: Value): boolean {
  if (typeof a === "number" && typeof b === "number") return a <= b;
  order(a, b);
  return left <= right;
}

/** `>` (Cedar's `!(a <= b)`) */
export function gt(a: Value, b: Value): boolean {
  return !le(a, b);
}

/** `>=` (Cedar's `!(a < b)`) */
export function ge(a: Value, b: Value): boolean {
  return !lt(a, b);
}

/** `+` with 64-bit overflow errors */
export function add(a: Value, b: Value): Long {
  return addLong(long(a), long(b));
}

/** `-` with 64-bit overflow errors */
export function sub(a: Value, b: Value): Long {
  return subLong(long(a), long(b));
}

/** `*` with 64-bit overflow errors */
export function mul(a: Value, b: Value): Long {
  return mulLong(long(a), long(b));
}

/** unary `-` */
export function neg(a: Value): Long {
  return negLong(long(a));
}

/**
 * `a in b`: `b` is an entity or a set of entities (every item is checked first); true when `a`
 * equals one of them or has it among its transitive ancestors.
 */
export function isIn(r: RequestView, a: Value, b: Value): boolean {
  const uid = entity(a);
  if (b instanceof EntityUid) return r.entities.isIn(uid, b);
  if (!(b instanceof CedarSet)) return typeError("set or entity", typeOfValue(b));
  const items = b.items;
  for (let i = 0; i < items.length; i++) entity(items[i]);
  for (let i = 0; i < items.length; i++) if (r.entities.isIn(uid, items[i] as EntityUid)) return true;
  return false;
}

/** `a is T` */
export function is(a: Value, type: string): boolean {
  return entity(a).type === type;
}

/** `a.name` on a record or an entity; a missing attribute or entity is an error. */
export function attr(r: RequestView, a: Value, name: string): Value {
  if (a instanceof CedarRecord) {
    const v = a.get(name);
    if (v === undefined) fail(`record does not have the attribute \`${name}\``);
    return v;
  }
  if (a instanceof EntityUid) {
    const attrs = r.entities.attrsOf(a);
    if (attrs === undefined) fail(`entity \`${a}\` does not exist`);
    const v = attrs.get(name);
    if (v === undefined) fail(`\`${a}\` does not have the attribute \`${name}\``);
    return v;
  }
  return typeError("record or entity", typeOfValue(a));
}

// Direct reads. The generated code reads `x.name` as `attrAt(r, x, "name", J.name, "name" in OP)`,
// where J is the JSON of x (`r.pa`, `r.ra`, `r.cx`): a property read whose inline cache sees one
// shape of object per site, where `attr` looks the name up in whatever record it is given. The
// value is x's own attribute when it is defined and `name` is not on `Object.prototype` (J has
// that prototype or none; checking at the site keeps a polluted prototype from faking one). Only
// values that decode to themselves are taken; anything else goes the checked way, with its errors.

/** `a.name` given `v`, the attribute as read from a's JSON, and whether `name` is inherited (see above). */
export function attrAt(r: RequestView, a: Value, name: string, v: unknown, inherited: boolean): Value {
  if (!inherited) {
    if (typeof v === "string" || typeof v === "boolean") return v;
    if (typeof v === "number" && Number.isSafeInteger(v)) return v + 0; // + 0 turns -0 into 0
    if (v instanceof ExtensionValue) return v;
  }
  return attr(r, a, name);
}

/** `a has name`, given the attribute as read from a's JSON (see `attrAt`). */
export function hasAt(r: RequestView, a: Value, name: string, v: unknown, inherited: boolean): boolean {
  if (v !== undefined && !inherited) return true;
  return has(r, a, name);
}

/** `a.name.contains(s)` for a string literal `s`, given the attribute as read from a's JSON (see `attrAt`, `containsAttr`). */
export function containsAt(r: RequestView, a: Value, name: string, s: string, v: unknown, inherited: boolean): boolean {
  if (!inherited && Array.isArray(v)) {
    let found = false;
    let strings = true;
    for (let i = 0; i < v.length; i++) {
      const x = v[i];
      if (typeof x !== "string") {
        strings = false;
        break;
      }
      if (x === s) found = true;
    }
    if (strings) return found;
  }
  return containsAttr(r, a, name, s);
}

/** `a has name`; a missing entity has no attributes. */
export function has(r: RequestView, a: Value, name: string): boolean {
  if (a instanceof CedarRecord) return a.has(name);
  if (a instanceof EntityUid) {
    const attrs = r.entities.attrsOf(a);
    return attrs !== undefined && attrs.has(name);
  }
  return typeError("record or entity", typeOfValue(a));
}

/** `a.getTag(t)` */
export function getTag(r: RequestView, a: Value, t: Value): Value {
  const uid = entity(a);
  if (typeof t !== "string") return typeError("string", typeOfValue(t));
  const e = r.entities.get(uid);
  if (e === undefined) fail(`entity \`${uid}\` does not exist`);
  const v = e.tags.get(t);
  if (v === undefined) fail(`\`${uid}\` does not have the tag \`${t}\``);
  return v;
}

/** `a.hasTag(t)`; a missing entity has no tags. */
export function hasTag(r: RequestView, a: Value, t: Value): boolean {
  const uid = entity(a);
  if (typeof t !== "string") return typeError("string", typeOfValue(t));
  const e = r.entities.get(uid);
  return e !== undefined && e.tags.has(t);
}

/** `a.contains(b)` */
export function contains(a: Value, b: Value): boolean {
  return setHas(set(a), b);
}

/**
 * `a.name.contains(s)` for a string literal `s`: the same answer and errors as `contains(attr(r, a,
 * name), s)`, but an attribute that is an array of strings in the request's JSON (a context's
 * `scopes`, say) is searched where it lies instead of being decoded into a set first.
 */
export function containsAttr(r: RequestView, a: Value, name: string, s: string): boolean {
  const record = a instanceof CedarRecord ? a : a instanceof EntityUid ? r.entities.attrsOf(a) : undefined;
  if (record !== undefined) {
    const found = record.hasString(name, s);
    if (found !== undefined) return found;
  }
  return contains(attr(r, a, name), s);
}

/** `a.containsAll(b)` */
export function containsAll(a: Value, b: Value): boolean {
  const x = set(a);
  return setSubset(set(b), x);
}

/** `a.containsAny(b)` */
export function containsAny(a: Value, b: Value): boolean {
  const x = set(a);
  const y = set(b);
  for (const v of y.items) if (setHas(x, v)) return true;
  return false;
}

/** `a.isEmpty()` */
export function isEmpty(a: Value): boolean {
  return set(a).items.length === 0;
}

/** `a like pattern` */
export function like(a: Value, p: LikePattern): boolean {
  if (typeof a !== "string") return typeError("string", typeOfValue(a));
  return p.test(a);
}

/** A set literal. */
export function makeSet(items: Value[]): CedarSet {
  return new CedarSet(items);
}

/** A record literal from `[name, value]` pairs. */
export function makeRecord(entries: [string, Value][]): CedarRecord {
  return new CedarRecord(new Map(entries));
}

/** An entity reference literal (hoisted to module level by the compiler). */
export function uid(type: string, id: string): EntityUid {
  return new EntityUid(type, id);
}

/** A `like` pattern (hoisted to module level by the compiler). */
export function pattern(elems: PatternElem[]): LikePattern {
  return new LikePattern(elems);
}

/**
 * A constant computed once, when the module loads. If computing it fails (an invalid
 * `decimal("x")`, say), every evaluation that reaches it fails the same way, as Cedar would.
 */
export function constant(make: () => Value): () => Value {
  let value: Value | undefined;
  let error: unknown;
  try {
    value = make();
  } catch (e) {
    error = e;
  }
  return () => {
    if (error !== undefined) throw error;
    return value!;
  };
}

/** Decodes a literal given in Cedar JSON (`{"Value": ...}` in the EST). */
export const decode = decodeValue;

/** Extension functions (`ip`, `decimal`, `isInRange`, `offset`, ...). */
export const ext = extensionFunctions;

/** Throws a policy evaluation error (e.g. a call with the wrong number of arguments). */
export { fail };
