import * as cedar from "@cedar-policy/cedar-wasm/nodejs";
import type { Schema } from "@cedar-policy/cedar-wasm/nodejs";
import { cedarDiagnostics, type ParsedPolicy } from "./parse.ts";
import type { Diagnostic } from "./errors.ts";

/** A schema as Cedar text or Cedar's JSON schema format, with the file it came from. */
export interface SchemaSource {
  schema: string | object;
  file?: string;
}

/**
 * Validates policies against a schema in Cedar's strict mode. Errors and warnings come back as
 * diagnostics located at the policy's file and line.
 */
export function validatePolicies(policies: ParsedPolicy[], schema: SchemaSource): Diagnostic[] {
  const text = typeof schema.schema === "string" ? schema.schema : JSON.stringify(schema.schema, null, 2);
  const parsed = cedar.checkParseSchema(schema.schema as Schema);
  if (parsed.type === "failure") return cedarDiagnostics(parsed.errors, text, schema.file);
  const byId = new Map(policies.map((p) => [p.cedarId, p]));
  const answer = cedar.validate({
    schema: schema.schema as Schema,
    policies: { staticPolicies: Object.fromEntries(policies.map((p) => [p.cedarId, p.text])) },
    validationSettings: { mode: "strict" },
  });
  if (answer.type === "failure") return cedarDiagnostics(answer.errors, text, schema.file);
  const out: Diagnostic[] = [];
  const add = (list: { policyId: string; error: cedar.DetailedError }[], severity: "error" | "warning"): void => {
    for (const v of list) {
      const p = byId.get(v.policyId);
      for (const d of cedarDiagnostics([v.error], p?.text ?? "", p?.file, p?.line ?? 1, v.policyId)) {
        d.severity = severity;
        out.push(d);
      }
    }
  };
  add(answer.validationErrors, "error");
  add(answer.validationWarnings, "warning");
  return out;
}

/** Checks static entities against the schema (skipped when they hold integers beyond 2^53). */
export function validateEntities(entities: unknown[], schema: SchemaSource, file?: string): Diagnostic[] {
  // cedar-wasm's JS API cannot take such integers exactly
  if (hasBigInt(entities)) return [];
  const answer = cedar.checkParseEntities({ entities: entities as cedar.Entities, schema: schema.schema as Schema });
  if (answer.type === "success") return [];
  return answer.errors.map((e) => ({ severity: "error" as const, file, message: e.message }));
}

/**
 * The action entities a schema declares, with their `memberOf` parents, in Cedar JSON. Cedar
 * adds these to the entity store when it authorizes with a schema; the compiler embeds them.
 */
export function schemaActionEntities(schema: SchemaSource): { uid: { type: string; id: string }; attrs: object; parents: { type: string; id: string }[] }[] {
  const json = cedar.schemaToJson(schema.schema as Schema);
  if (json.type === "failure") return [];
  const out: { uid: { type: string; id: string }; attrs: object; parents: { type: string; id: string }[] }[] = [];
  for (const [ns, def] of Object.entries(json.json)) {
    const actionType = ns === "" ? "Action" : `${ns}::Action`;
    for (const [name, action] of Object.entries(def.actions ?? {})) {
      const parents = (action.memberOf ?? []).map((m) => ({
        type: m.type === undefined ? actionType : m.type.includes("::") || ns === "" ? m.type : `${ns}::${m.type}`,
        id: m.id,
      }));
      out.push({ uid: { type: actionType, id: name }, attrs: {}, parents });
    }
  }
  return out;
}

function hasBigInt(v: unknown): boolean {
  if (typeof v === "bigint") return true;
  if (v === null || typeof v !== "object") return false;
  return Object.values(v).some(hasBigInt);
}
