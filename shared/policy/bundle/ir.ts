// The policy IR (issue #18): a compiled policy set as JSON data, so it can be published and loaded
// at run time without `eval` or the Function constructor (workerd forbids both). `tools/compiler/ir.ts` emits
// it from the same EST walk as the generated module; `load.ts` turns it back into closures over the
// same runtime operators, so both forms decide identically.

import type { PolicyInfo } from "../types.ts";

/** Format tag and version of `PolicyIr`; a loader refuses any other. */
export const POLICY_IR_FORMAT = "gatehouse-policy-ir";
export const POLICY_IR_FORMAT_VERSION = 1;

/**
 * A JSON value that may hold 64-bit integers: `{ j }` is plain JSON (every number a safe integer),
 * `{ t }` the tagged form used only when a bigint occurs (`JsonTree`).
 */
export type JsonIr = { j: unknown } | { t: JsonTree };

/** `["n", digits]` a bigint, `["a", items]` an array, `["o", [key, value][]]` an object, `["s", scalar]` anything else. */
export type JsonTree = ["n", string] | ["a", JsonTree[]] | ["o", [string, JsonTree][]] | ["s", unknown];

/** One element of a `like` pattern, as in Cedar's EST. */
export type PatternIr = "Wildcard" | { Literal: string };

/**
 * An expression: an array whose first item names the operation. Operand order and every type
 * check are those of the generated module (`tools/compiler/generate.ts`); `bool` marks an operand
 * that must be checked to be a boolean.
 */
export type ExprIr =
  | ["lit", boolean | string | number]
  | ["long", string]
  | ["uid", string, string]
  | ["decode", JsonIr]
  | ["const", ExprIr]
  | ["var", "principal" | "action" | "resource" | "context"]
  | ["bool", ExprIr]
  | ["not", ExprIr]
  | ["neg", ExprIr]
  | ["isEmpty", ExprIr]
  | [BinaryOp, ExprIr, ExprIr]
  | ["and" | "or", ExprIr, ExprIr]
  | ["in" | "getTag" | "hasTag", ExprIr, ExprIr]
  | ["attr" | "has", ExprIr, string]
  | ["like", ExprIr, PatternIr[]]
  | ["is", ExprIr, string]
  | ["if", ExprIr, ExprIr, ExprIr]
  | ["set", ExprIr[]]
  | ["record", [string, ExprIr][]]
  | ["call", string, ExprIr[]]
  | ["fail", string, ExprIr[]];

/** Binary operators taking two values and no request. */
export type BinaryOp = "eq" | "ne" | "lt" | "le" | "gt" | "ge" | "add" | "sub" | "mul" | "contains" | "containsAll" | "containsAny";

/**
 * Each operation's operands, one letter each, in order: e expression, b boolean expression, s
 * string, L literal, N integer digits, J JSON value, P `like` pattern, V variable, E list of
 * expressions, R list of [name, expression] entries. The loader checks every node against it; a
 * walk over the IR reads it to find the sub-expressions of any node.
 */
export const OPERANDS: ReadonlyMap<string, string> = new Map([
  ["lit", "L"], ["long", "N"], ["uid", "ss"], ["decode", "J"], ["const", "e"], ["var", "V"],
  ["bool", "e"], ["not", "b"], ["neg", "e"], ["isEmpty", "e"], ["and", "bb"], ["or", "bb"],
  ["eq", "ee"], ["ne", "ee"], ["lt", "ee"], ["le", "ee"], ["gt", "ee"], ["ge", "ee"], ["add", "ee"], ["sub", "ee"], ["mul", "ee"],
  ["contains", "ee"], ["containsAll", "ee"], ["containsAny", "ee"], ["in", "ee"], ["getTag", "ee"], ["hasTag", "ee"],
  ["attr", "es"], ["has", "es"], ["like", "eP"], ["is", "es"], ["if", "bee"], ["set", "E"], ["record", "R"], ["call", "sE"], ["fail", "sE"],
]);

/** An entity reference: `[type, id]`. */
export type UidIr = [string, string];

/** A principal or resource scope. */
export type ScopeIr = { op: "All" } | { op: "=="; entity: UidIr } | { op: "in"; entity: UidIr } | { op: "is"; type: string; in?: UidIr };

/** An action scope. */
export type ActionScopeIr = { op: "All" } | { op: "=="; entity: UidIr } | { op: "in"; entities: UidIr[] };

/** One policy: its metadata (as the generated module's `PolicyInfo`), scopes, and its `when`/`unless` clauses as boolean expressions (all must hold). */
export interface PolicyIrEntry extends PolicyInfo {
  principal: ScopeIr;
  action: ActionScopeIr;
  resource: ScopeIr;
  conditions: ExprIr[];
}

/** A whole compiled policy set as data. */
export interface PolicyIr {
  format: typeof POLICY_IR_FORMAT;
  formatVersion: typeof POLICY_IR_FORMAT_VERSION;
  /** SHA-256 (hex) over the policy, schema and entity sources, as the generated module's `version`. */
  version: string;
  onForbidError: "skip" | "deny";
  /** Static entities in Cedar JSON. */
  entities: JsonIr;
  policies: PolicyIrEntry[];
}
