import { CedarRecord, CedarSet, EntityUid, ExtensionValue, type Value } from "./values.ts";

/**
 * Cedar `==`: structural equality that never errors; values of different types are unequal.
 * Sets compare as sets (order and repeats ignored), records by keys and values.
 */
export function valueEquals(a: Value, b: Value): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object") return false;
  if (a instanceof EntityUid) return b instanceof EntityUid && a.is(b);
  if (a instanceof CedarSet) return b instanceof CedarSet && setSubset(a, b) && setSubset(b, a);
  if (a instanceof CedarRecord) {
    if (!(b instanceof CedarRecord) || a.size !== b.size) return false;
    for (const [k, v] of a.entries()) {
      const w = b.get(k);
      if (w === undefined || !valueEquals(v, w)) return false;
    }
    return true;
  }
  if (a instanceof ExtensionValue) {
    return b instanceof ExtensionValue && a.typeName === b.typeName && a.key() === b.key();
  }
  return false;
}

// Below this size a linear scan beats building a key set.
const SMALL_SET = 8;

/** Whether `set` holds a value equal to `v`. */
export function setHas(set: CedarSet, v: Value): boolean {
  const items = set.items;
  if (items.length <= SMALL_SET) {
    for (let i = 0; i < items.length; i++) if (valueEquals(items[i], v)) return true;
    return false;
  }
  return set.keySet(valueKey).has(valueKey(v));
}

/** Whether every item of `a` is in `b`. */
export function setSubset(a: CedarSet, b: CedarSet): boolean {
  for (const v of a.items) if (!setHas(b, v)) return false;
  return true;
}

/** A string that is equal for two values exactly when `valueEquals` holds. */
export function valueKey(v: Value): string {
  switch (typeof v) {
    case "boolean":
      return v ? "T" : "F";
    case "number":
    case "bigint":
      // canonical Longs: a number and a bigint never hold the same value
      return "L" + v.toString();
    case "string":
      return "S" + v;
  }
  if (v instanceof EntityUid) return "E" + v.key;
  if (v instanceof CedarSet) {
    const keys = [...new Set(v.items.map(valueKey))].sort();
    return "Z" + JSON.stringify(keys);
  }
  if (v instanceof CedarRecord) {
    const entries = [...v.entries()].map(([k, x]) => [k, valueKey(x)]);
    entries.sort((p, q) => (p[0] < q[0] ? -1 : p[0] > q[0] ? 1 : 0));
    return "R" + JSON.stringify(entries);
  }
  return "X" + v.typeName + ":" + v.key();
}
