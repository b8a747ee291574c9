// Internal: what a policy reads and which actions it can apply to, from Cedar's JSON form.
import type { PolicyJson } from "@cedar-policy/cedar-wasm/nodejs";
import { actionKey, type SchemaModel } from "./schema.ts";

/** Attributes a policy reads (`principal.x`, `principal has x`, likewise for `context`). */
export interface PolicyReads {
  readonly principal: ReadonlySet<string>;
  readonly context: ReadonlySet<string>;
}

/** Collects `principal.x` and `context.x` reads (and `has` tests) anywhere in the conditions. */
export function readsOf(policy: PolicyJson): PolicyReads {
  const principal = new Set<string>();
  const context = new Set<string>();
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) {
      for (const item of node) visit(item);
      return;
    }
    if (typeof node !== "object" || node === null) return;
    for (const [key, value] of Object.entries(node)) {
      if ((key === "." || key === "has") && typeof value === "object" && value !== null) {
        const { left, attr } = value as { left?: { Var?: string }; attr?: string | string[] };
        const first = Array.isArray(attr) ? attr[0] : attr;
        if (left?.Var === "principal" && typeof first === "string") principal.add(first);
        if (left?.Var === "context" && typeof first === "string") context.add(first);
      }
      visit(value);
    }
  };
  visit(policy.conditions);
  return { principal, context };
}

/** Action keys the policy's scope admits, or `"all"` for an unconstrained `action`. */
export function actionsCovered(policy: PolicyJson, model: SchemaModel): ReadonlySet<string> | "all" {
  const scope = policy.action;
  if (scope.op === "All") return "all";
  const uidOf = (e: unknown) => {
    const raw = e as { type: string; id: string } | { __entity: { type: string; id: string } };
    return "__entity" in raw ? raw.__entity : raw;
  };
  if (scope.op === "==") {
    if (!("entity" in scope)) return new Set();
    const uid = uidOf(scope.entity);
    return new Set([actionKey(uid.type, uid.id)]);
  }
  const named = "entities" in scope ? scope.entities.map(uidOf) : [uidOf(scope.entity)];
  const keys = new Set(named.map((uid) => actionKey(uid.type, uid.id)));
  const out = new Set<string>();
  for (const action of model.actions.values()) {
    if (keys.has(action.key) || [...action.groups].some((g) => keys.has(g))) out.add(action.key);
  }
  // Names the schema does not know stay in, so a typo shows up as unrouted rather than vanishing
  for (const key of keys) if (!model.actions.has(key)) out.add(key);
  return out;
}

/** Whether a principal or resource scope can match an entity of `type`. */
export function scopeAdmitsType(scope: PolicyJson["principal"] | PolicyJson["resource"], type: string): boolean {
  if (scope.op === "All" || scope.op === "in") return true;
  if (scope.op === "is") return scope.entity_type === type;
  if (!("entity" in scope)) return true;
  const raw = scope.entity as { type: string } | { __entity: { type: string } };
  return ("__entity" in raw ? raw.__entity.type : raw.type) === type;
}
