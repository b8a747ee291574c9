// The schema's entity types in the compact form the runtime checks live records against
// (`shared/entities/shapes.ts`), written into the policy module so `shared/` never parses a schema.
import * as cedar from "@cedar-policy/cedar-wasm/nodejs";
import type { SchemaJson } from "@cedar-policy/cedar-wasm/nodejs";
import type { EntityShapes, ShapeAttribute, ShapeType } from "../../shared/entities/shapes.ts";
import { readSchema, type SchemaAttribute, type SchemaType } from "../analysis/schema.ts";

/** The shapes of `schema` (Cedar text or JSON), or `null` when Cedar cannot read it (validation reports why). */
export function entityShapesOf(schema: string | object): EntityShapes | null {
  let json: SchemaJson<string>;
  if (typeof schema === "string") {
    const answer = cedar.schemaToJsonWithResolvedTypes(schema);
    if (answer.type !== "success") return null;
    json = answer.json;
  } else json = schema as SchemaJson<string>;
  let model;
  try {
    model = readSchema(json);
  } catch {
    return null;
  }
  const out: Record<string, { memberOf: string[]; attrs: Record<string, ShapeAttribute> }> = {};
  for (const [name, type] of model.entityTypes) out[name] = { memberOf: [...type.memberOf], attrs: attributes(type.attributes) };
  return out;
}

function attributes(map: ReadonlyMap<string, SchemaAttribute>): Record<string, ShapeAttribute> {
  const out: Record<string, ShapeAttribute> = {};
  for (const [name, attr] of map) out[name] = { type: shape(attr.type), required: attr.required };
  return out;
}

function shape(type: SchemaType): ShapeType {
  switch (type.kind) {
    case "String":
    case "Long":
    case "Bool":
      return type.kind;
    case "Set":
      return { set: shape(type.element) };
    case "Record":
      return type.open ? { record: attributes(type.attributes), open: true } : { record: attributes(type.attributes) };
    case "Entity":
      return { entity: type.name };
    case "Extension":
      return { extension: type.name };
  }
}
