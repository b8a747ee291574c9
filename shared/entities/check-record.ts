import { Entity } from "../policy/entities.ts";
import type { CedarJsonValue, EntityJson, EntityUidJson } from "../policy/types.ts";
import type { EntityShapes, ShapeAttribute, ShapeType } from "./shapes.ts";
import { uidKey } from "./uid.ts";

/** A record checked and ready for the policies, or why it cannot be used. */
export type CheckedRecord = { readonly ok: true; readonly entity: EntityJson } | { readonly ok: false; readonly message: string };

/** Bounds on one record. */
export interface RecordLimits {
  /** Largest record text, in bytes (UTF-16 code units count as one: an upper bound is not needed exactly). */
  readonly maxRecordBytes: number;
  /** Most direct parents of one record. */
  readonly maxParents: number;
}

const MAX_DEPTH = 32;

/**
 * Parses and checks one stored record `{ uid, attrs, parents }` (Cedar's entity JSON) for `uid`:
 * size first (before parsing), then shape, then the schema's attribute types and parent types when
 * `shapes` is given, then that the policy runtime can decode it. Never throws.
 */
export function checkRecordText(text: string, uid: string, limits: RecordLimits, shapes: EntityShapes | null): CheckedRecord {
  if (text.length > limits.maxRecordBytes) return fail(`record is ${text.length} bytes, more than ${limits.maxRecordBytes}`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return fail("record is not JSON");
  }
  return checkRecord(json, uid, limits, shapes);
}

/** The same for a record already parsed (the CLI's `import`, an `http` source's answer). */
export function checkRecord(json: unknown, uid: string | null, limits: RecordLimits, shapes: EntityShapes | null): CheckedRecord {
  if (!isObject(json)) return fail("record is not an object");
  for (const key of Object.keys(json)) if (key !== "uid" && key !== "attrs" && key !== "parents" && key !== "tags") return fail(`unknown field \`${key}\``);
  const own = uidOf(json.uid);
  if (own === undefined) return fail("`uid` is not `{ type, id }`");
  const key = uidKey(own.type, own.id);
  if (uid !== null && key !== uid) return fail(`record names \`${key}\``);
  const attrs = json.attrs ?? {};
  if (!isObject(attrs)) return fail("`attrs` is not an object");
  const parentsRaw = json.parents ?? [];
  if (!Array.isArray(parentsRaw)) return fail("`parents` is not an array");
  if (parentsRaw.length > limits.maxParents) return fail(`too many parents (${parentsRaw.length}, at most ${limits.maxParents})`);
  const parents: EntityUidJson[] = [];
  for (const raw of parentsRaw) {
    const parent = uidOf(raw);
    if (parent === undefined) return fail("a parent is not `{ type, id }`");
    parents.push(parent);
  }
  // Whatever the schema says, every value must be one Cedar can hold (no floats, nulls, bad references)
  for (const [name, value] of Object.entries(attrs)) {
    const problem = checkCedarValue(value, name, 0);
    if (problem !== undefined) return fail(problem);
  }
  if (shapes !== null) {
    const shape = shapes[own.type];
    if (shape === undefined) return fail(`type \`${own.type}\` is not in the schema`);
    for (const parent of parents) if (!shape.memberOf.includes(parent.type)) return fail(`parent type \`${parent.type}\` is not allowed for \`${own.type}\``);
    const problem = checkAttributes(attrs, shape.attrs, false, "", 0);
    if (problem !== undefined) return fail(problem);
  }
  // `parents` stays absent when the record leaves it out: the merge then keeps the token's (see merge.ts)
  const entity: EntityJson = { uid: own, attrs: attrs as Record<string, CedarJsonValue> };
  if (json.parents !== undefined) entity.parents = parents;
  if (json.tags !== undefined) entity.tags = json.tags as Record<string, CedarJsonValue>;
  try {
    // The runtime's own decoder is the last word on what a policy can read
    new Entity(entity);
  } catch (error) {
    return fail(`attribute value cannot be decoded: ${error instanceof Error ? error.message : "unknown"}`);
  }
  return { ok: true, entity };
}

function checkAttributes(value: Record<string, unknown>, attrs: Readonly<Record<string, ShapeAttribute>>, open: boolean, path: string, depth: number): string | undefined {
  for (const [name, attr] of Object.entries(attrs)) {
    if (value[name] === undefined) {
      if (attr.required) return `attribute \`${path}${name}\` is missing`;
      continue;
    }
    const problem = checkType(value[name], attr.type, `${path}${name}`, depth + 1);
    if (problem !== undefined) return problem;
  }
  if (!open) for (const name of Object.keys(value)) if (!Object.hasOwn(attrs, name)) return `attribute \`${path}${name}\` is not in the schema`;
  return undefined;
}

function checkType(value: unknown, type: ShapeType, path: string, depth: number): string | undefined {
  if (depth > MAX_DEPTH) return `attribute \`${path}\` is nested too deeply`;
  const wrong = (expected: string) => `attribute \`${path}\`: expected ${expected}`;
  if (type === "String") return typeof value === "string" ? undefined : wrong("a string");
  if (type === "Bool") return typeof value === "boolean" ? undefined : wrong("a boolean");
  if (type === "Long") return (typeof value === "number" && Number.isSafeInteger(value)) || typeof value === "bigint" ? undefined : wrong("an integer");
  if ("set" in type) {
    if (!Array.isArray(value)) return wrong("a set (array)");
    for (let i = 0; i < value.length; i++) {
      const problem = checkType(value[i], type.set, `${path}[${i}]`, depth + 1);
      if (problem !== undefined) return problem;
    }
    return undefined;
  }
  if ("record" in type) return isObject(value) ? checkAttributes(value, type.record, type.open === true, `${path}.`, depth) : wrong("a record");
  if ("entity" in type) {
    const ref = isObject(value) && isObject(value.__entity) ? value.__entity : value;
    const uid = uidOf(ref);
    return uid !== undefined && uid.type === type.entity ? undefined : wrong(`an entity of type \`${type.entity}\``);
  }
  // An extension value must say so (`{ __extn: { fn, arg } }`): without a schema the runtime would read a bare string as a string
  return isObject(value) && isObject(value.__extn) ? undefined : wrong(`a \`${type.extension}\` value`);
}

function checkCedarValue(value: unknown, path: string, depth: number): string | undefined {
  if (depth > MAX_DEPTH) return `attribute \`${path}\` is nested too deeply`;
  if (typeof value === "string" || typeof value === "boolean" || typeof value === "bigint") return undefined;
  if (typeof value === "number") return Number.isSafeInteger(value) ? undefined : `attribute \`${path}\`: ${value} is not a 64-bit integer Cedar can read exactly`;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const problem = checkCedarValue(value[i], `${path}[${i}]`, depth + 1);
      if (problem !== undefined) return problem;
    }
    return undefined;
  }
  if (!isObject(value)) return `attribute \`${path}\`: \`${value === null ? "null" : typeof value}\` is not a Cedar value`;
  if (Object.hasOwn(value, "__entity")) return uidOf(value) === undefined ? `attribute \`${path}\`: a bad entity reference` : undefined;
  if (Object.hasOwn(value, "__extn")) {
    const extn = value.__extn;
    return isObject(extn) && typeof extn.fn === "string" ? undefined : `attribute \`${path}\`: a bad extension value`;
  }
  for (const [name, inner] of Object.entries(value)) {
    const problem = checkCedarValue(inner, `${path}.${name}`, depth + 1);
    if (problem !== undefined) return problem;
  }
  return undefined;
}

function uidOf(value: unknown): EntityUidJson | undefined {
  if (!isObject(value)) return undefined;
  const inner = isObject(value.__entity) ? value.__entity : value;
  return typeof inner.type === "string" && inner.type !== "" && typeof inner.id === "string" ? { type: inner.type, id: inner.id } : undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function fail(message: string): CheckedRecord {
  return { ok: false, message };
}
