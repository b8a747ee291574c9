// The entity part of a Cedar schema as the runtime checks records against it. The compiler writes it
// into the policy module (`entityShapes`) from `schema.cedarschema`; `shared/` never parses a schema.

/** A schema type, as a record check needs it. */
export type ShapeType =
  | "String"
  | "Long"
  | "Bool"
  | { readonly set: ShapeType }
  | { readonly record: Readonly<Record<string, ShapeAttribute>>; readonly open?: boolean }
  | { readonly entity: string }
  | { readonly extension: string };

/** One attribute: its type and whether a record must have it. */
export interface ShapeAttribute {
  readonly type: ShapeType;
  readonly required: boolean;
}

/** One entity type: which types its parents may have, and its attributes. */
export interface EntityShape {
  readonly memberOf: readonly string[];
  readonly attrs: Readonly<Record<string, ShapeAttribute>>;
}

/** Entity type name → shape. Types the schema does not declare are refused when a schema exists. */
export type EntityShapes = Readonly<Record<string, EntityShape>>;
