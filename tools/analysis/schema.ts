// Internal: a plain reading of Cedar's JSON schema (common types resolved, names qualified).
import type { SchemaJson } from "@cedar-policy/cedar-wasm/nodejs";

/** A schema type, resolved. */
export type SchemaType =
  | { readonly kind: "String" | "Long" | "Bool" }
  | { readonly kind: "Set"; readonly element: SchemaType }
  | { readonly kind: "Record"; readonly attributes: ReadonlyMap<string, SchemaAttribute>; readonly open: boolean }
  | { readonly kind: "Entity"; readonly name: string }
  | { readonly kind: "Extension"; readonly name: string };

/** One attribute of a record or entity shape. */
export interface SchemaAttribute {
  readonly type: SchemaType;
  readonly required: boolean;
}

/** An entity type: parents it may have, and its attributes. */
export interface SchemaEntityType {
  readonly name: string;
  readonly memberOf: readonly string[];
  readonly attributes: ReadonlyMap<string, SchemaAttribute>;
  /** Enumerated ids, for `enum` entity types. */
  readonly enumIds?: readonly string[];
}

/** An action: its uid and what it applies to. */
export interface SchemaAction {
  /** `Action::"ReadOrder"`, or `Ns::Action::"ReadOrder"`. */
  readonly key: string;
  readonly type: string;
  readonly id: string;
  readonly principalTypes: readonly string[];
  readonly resourceTypes: readonly string[];
  readonly context: ReadonlyMap<string, SchemaAttribute>;
  /** Keys of the action groups it is a member of, transitively. */
  readonly groups: ReadonlySet<string>;
}

/** The schema, ready to query. */
export interface SchemaModel {
  readonly entityTypes: ReadonlyMap<string, SchemaEntityType>;
  /** By `actionKey(type, id)`. */
  readonly actions: ReadonlyMap<string, SchemaAction>;
}

const EXTENSIONS = new Set(["ipaddr", "decimal", "datetime", "duration"]);
const EMPTY: ReadonlyMap<string, SchemaAttribute> = new Map();

/** The map key of an action uid. */
export function actionKey(type: string, id: string): string {
  return `${type}::${JSON.stringify(id)}`;
}

/** Reads Cedar's JSON schema into a `SchemaModel`. */
export function readSchema(json: SchemaJson<string>): SchemaModel {
  const qualify = (ns: string, name: string) => (ns === "" ? name : `${ns}::${name}`);
  const commonTypes = new Map<string, unknown>();
  const entityNames = new Set<string>();
  for (const [ns, def] of Object.entries(json)) {
    for (const [name, type] of Object.entries(def.commonTypes ?? {})) commonTypes.set(qualify(ns, name), type);
    for (const name of Object.keys(def.entityTypes ?? {})) entityNames.add(qualify(ns, name));
  }

  function resolveName(ns: string, name: string, depth: number): SchemaType {
    const bare = name.startsWith("__cedar::") ? name.slice(9) : name;
    if (bare === "String" || bare === "Long") return { kind: bare };
    if (bare === "Bool" || bare === "Boolean") return { kind: "Bool" };
    if (EXTENSIONS.has(bare)) return { kind: "Extension", name: bare };
    for (const candidate of [qualify(ns, name), name]) {
      const common = commonTypes.get(candidate);
      if (common !== undefined) return resolve(ns, common, depth + 1);
      if (entityNames.has(candidate)) return { kind: "Entity", name: candidate };
    }
    return { kind: "Entity", name };
  }

  function resolve(ns: string, raw: unknown, depth = 0): SchemaType {
    if (depth > 32) return { kind: "Record", attributes: EMPTY, open: true };
    const t = raw as { type: string; element?: unknown; attributes?: Record<string, unknown>; name?: string; additionalAttributes?: boolean };
    switch (t.type) {
      case "Set":
        return { kind: "Set", element: resolve(ns, t.element, depth + 1) };
      case "Record":
        return { kind: "Record", attributes: attributesOf(ns, t.attributes ?? {}, depth + 1), open: t.additionalAttributes === true };
      case "Entity":
        return resolveName(ns, t.name!, depth);
      case "EntityOrCommon":
      case "Extension":
        return resolveName(ns, t.name!, depth);
      default:
        return resolveName(ns, t.type, depth);
    }
  }

  function attributesOf(ns: string, raw: Record<string, unknown>, depth: number): ReadonlyMap<string, SchemaAttribute> {
    const out = new Map<string, SchemaAttribute>();
    for (const [name, attr] of Object.entries(raw)) {
      out.set(name, { type: resolve(ns, attr, depth), required: (attr as { required?: boolean }).required !== false });
    }
    return out;
  }

  function recordOf(ns: string, raw: unknown): ReadonlyMap<string, SchemaAttribute> {
    if (raw === undefined) return EMPTY;
    const t = resolve(ns, raw);
    return t.kind === "Record" ? t.attributes : EMPTY;
  }

  const entityTypes = new Map<string, SchemaEntityType>();
  const actions = new Map<string, SchemaAction>();
  const memberships = new Map<string, string[]>();
  for (const [ns, def] of Object.entries(json)) {
    for (const [name, raw] of Object.entries(def.entityTypes ?? {})) {
      const full = qualify(ns, name);
      const entity = raw as { memberOfTypes?: string[]; shape?: unknown; enum?: string[] };
      entityTypes.set(full, {
        name: full,
        memberOf: (entity.memberOfTypes ?? []).map((parent) => (entityNames.has(qualify(ns, parent)) ? qualify(ns, parent) : parent)),
        attributes: recordOf(ns, entity.shape),
        ...(entity.enum ? { enumIds: entity.enum } : {}),
      });
    }
    const actionType = qualify(ns, "Action");
    for (const [id, raw] of Object.entries(def.actions ?? {})) {
      const key = actionKey(actionType, id);
      const fix = (names: string[] | undefined) => (names ?? []).map((n) => (entityNames.has(qualify(ns, n)) ? qualify(ns, n) : n));
      memberships.set(key, (raw.memberOf ?? []).map((m) => actionKey(m.type ?? actionType, m.id)));
      actions.set(key, {
        key,
        type: actionType,
        id,
        principalTypes: fix(raw.appliesTo?.principalTypes),
        resourceTypes: fix(raw.appliesTo?.resourceTypes),
        context: recordOf(ns, raw.appliesTo?.context),
        groups: new Set(),
      });
    }
  }
  for (const action of actions.values()) {
    const groups = action.groups as Set<string>;
    const queue = [...(memberships.get(action.key) ?? [])];
    while (queue.length > 0) {
      const next = queue.pop()!;
      if (groups.has(next)) continue;
      groups.add(next);
      queue.push(...(memberships.get(next) ?? []));
    }
  }
  return { entityTypes, actions };
}

/** How a type reads in messages: `String`, `Set<String>`, `ipaddr`, `User`, `Record`. */
export function showType(type: SchemaType): string {
  switch (type.kind) {
    case "Set":
      return `Set<${showType(type.element)}>`;
    case "Entity":
    case "Extension":
      return type.name;
    default:
      return type.kind;
  }
}
