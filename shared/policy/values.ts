import type { Long } from "./long.ts";

/**
 * A Cedar value at run time: Bool is a JS boolean, Long a number or bigint (see `long.ts`),
 * String a JS string, and the rest are the classes below.
 */
export type Value = boolean | Long | string | EntityUid | CedarSet | CedarRecord | ExtensionValue;

/** An entity reference `Type::"id"`. `key` identifies it in maps and comparisons. */
export class EntityUid {
  readonly type: string;
  readonly id: string;
  private k: string | undefined;
  constructor(type: string, id: string) {
    this.type = type;
    this.id = id;
  }
  /** `type` NUL `id`: unambiguous because an entity type name never contains NUL. Built on first use. */
  get key(): string {
    return (this.k ??= this.type + "\u0000" + this.id);
  }
  /** Whether `other` names the same entity. */
  is(other: EntityUid): boolean {
    return this === other || (this.id === other.id && this.type === other.type);
  }
  toString(): string {
    return `${this.type}::${JSON.stringify(this.id)}`;
  }
}

/** Base of the extension types (ipaddr, decimal, datetime, duration). */
export abstract class ExtensionValue {
  /** Cedar's name for the type, used in messages and to match operands. */
  abstract readonly typeName: string;
  /** A string equal for two values exactly when Cedar considers them equal. */
  abstract key(): string;
  /** Whether `<`, `<=`, `>` and `>=` apply (datetime and duration). */
  get comparable(): boolean {
    return false;
  }
  /** The number compared by `<` and friends when `comparable`. */
  get ordinal(): Long {
    return 0;
  }
}

/** A Cedar set. Items are kept as given; equality and membership ignore order and repeats. */
export class CedarSet {
  readonly items: readonly Value[];
  private keys: Set<string> | undefined;
  constructor(items: readonly Value[]) {
    this.items = items;
  }
  /** Key set for large sets, built on first use (see `equal.ts`). */
  keySet(keyOf: (v: Value) => string): Set<string> {
    if (this.keys === undefined) this.keys = new Set(this.items.map(keyOf));
    return this.keys;
  }
}

type Decoder = (json: unknown) => Value;

/**
 * A Cedar record. Records that come from request JSON decode each attribute on first read, so a
 * large context costs nothing until a policy looks at it.
 */
export class CedarRecord {
  // decoded attributes; created on first read for records that come from JSON
  private map: Map<string, Value> | undefined;
  private raw: Record<string, unknown> | undefined;
  private readonly decode: Decoder | undefined;
  constructor(map: Map<string, Value> | undefined, raw?: Record<string, unknown>, decode?: Decoder) {
    this.map = map;
    this.raw = raw;
    this.decode = decode;
  }
  /** A record read lazily from Cedar JSON (`decode` converts one attribute value). */
  static fromJson(raw: Record<string, unknown>, decode: Decoder): CedarRecord {
    return new CedarRecord(undefined, raw, decode);
  }
  /**
   * Points a record made by `fromJson` at other JSON, forgetting what it decoded: the policy set
   * reuses its context and entity records from one decision to the next instead of allocating them.
   */
  rebind(raw: Record<string, unknown>): this {
    this.raw = raw;
    this.map = undefined;
    return this;
  }
  /** The attribute's value, or undefined when absent. */
  get(name: string): Value | undefined {
    const raw = this.raw;
    if (raw === undefined) return this.map!.get(name);
    if (!Object.hasOwn(raw, name)) return undefined;
    const j = raw[name];
    // strings, booleans and small integers decode to themselves: nothing to cache
    if (typeof j === "string" || typeof j === "boolean") return j;
    if (typeof j === "number" && Number.isSafeInteger(j)) return j + 0; // + 0 turns -0 into 0
    // a value the caller parsed with this runtime (the pipeline's `ip` and `time`): nothing to decode
    if (j instanceof ExtensionValue) return j;
    let v = this.map?.get(name);
    if (v === undefined) {
      v = this.decode!(j);
      (this.map ??= new Map()).set(name, v);
    }
    return v;
  }
  /**
   * `this.name.contains(s)` read from the JSON itself when the attribute is an array of strings
   * (what decoding it would give a set of), without decoding it; undefined when that does not apply.
   */
  hasString(name: string, s: string): boolean | undefined {
    const raw = this.raw;
    if (raw === undefined || !Object.hasOwn(raw, name)) return undefined;
    const j = raw[name];
    if (!Array.isArray(j)) return undefined;
    let found = false;
    for (let i = 0; i < j.length; i++) {
      const x = j[i];
      // anything else decodes to another value (or fails to): leave it to the decoder
      if (typeof x !== "string") return undefined;
      if (x === s) found = true;
    }
    return found;
  }
  /** Whether the attribute exists. */
  has(name: string): boolean {
    if (this.raw === undefined) return this.map!.has(name);
    return Object.hasOwn(this.raw, name);
  }
  /** All attributes, decoded. */
  entries(): Map<string, Value> {
    if (this.raw !== undefined) {
      const all = new Map<string, Value>();
      for (const k of Object.keys(this.raw)) all.set(k, this.get(k)!);
      this.map = all;
      this.raw = undefined;
    }
    return this.map!;
  }
  /** Number of attributes. */
  get size(): number {
    return this.raw === undefined ? this.map!.size : Object.keys(this.raw).length;
  }
}

/** A JSON record read by property (see `RequestView.pa` in ops.ts). */
export type JsonAttrs = Readonly<Record<string, unknown>>;

/** Where there are no JSON attributes to read directly: every read of it is undefined. */
export const NO_ATTRS: JsonAttrs = Object.freeze(Object.create(null) as JsonAttrs);

/** Cedar's name for the type of `v`, as used in error messages. */
export function typeOfValue(v: Value): string {
  switch (typeof v) {
    case "boolean":
      return "bool";
    case "number":
    case "bigint":
      return "long";
    case "string":
      return "string";
  }
  if (v instanceof EntityUid) return `(entity of type \`${v.type}\`)`;
  if (v instanceof CedarSet) return "set";
  if (v instanceof CedarRecord) return "record";
  if (v instanceof ExtensionValue) return v.typeName;
  return "unknown";
}
