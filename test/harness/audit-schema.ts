import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { Ajv2020, type ErrorObject } from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";
import { repoRoot } from "./corpus.ts";

/** Path of the audit line's JSON Schema (draft 2020-12). */
export const auditSchemaPath = resolve(repoRoot, "docs", "audit-line.schema.json");

let validate: ((line: unknown) => boolean) & { errors?: ErrorObject[] | null } | undefined;

/**
 * Checks one audit line (a JSON string or a parsed object) against `docs/audit-line.schema.json`.
 * Returns the schema errors as readable strings; empty when the line is valid.
 */
export function auditLineErrors(line: string | unknown): string[] {
  if (!validate) {
    const ajv = new Ajv2020({ allErrors: true, strict: true });
    const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => void;
    addFormats(ajv);
    validate = ajv.compile(JSON.parse(readFileSync(auditSchemaPath, "utf8")));
  }
  const value = typeof line === "string" ? (JSON.parse(line) as unknown) : line;
  if (validate(value)) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message ?? "invalid"}`);
}

// The rollback event's schema
let validateEvent: ((line: unknown) => boolean) & { errors?: ErrorObject[] | null } | undefined;

/** Checks one rollback event against `docs/rollback-event.schema.json`; the schema errors, empty when valid. */
export function rollbackEventErrors(line: string | unknown): string[] {
  if (!validateEvent) {
    const ajv = new Ajv2020({ allErrors: true, strict: true });
    (addFormatsModule as unknown as (ajv: Ajv2020) => void)(ajv);
    validateEvent = ajv.compile(JSON.parse(readFileSync(resolve(repoRoot, "docs", "rollback-event.schema.json"), "utf8")));
  }
  const value = typeof line === "string" ? (JSON.parse(line) as unknown) : line;
  if (validateEvent(value)) return [];
  return (validateEvent.errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message ?? "invalid"}`);
}
