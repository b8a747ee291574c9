import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import * as cedar from "@cedar-policy/cedar-wasm/nodejs";
import type { DetailedError, PolicyJson, SchemaJson } from "@cedar-policy/cedar-wasm/nodejs";
import { ConfigError } from "../../shared/errors.ts";
import type { EntityJson } from "../../shared/policy/index.ts";
import { compileRoutes } from "../../shared/routes/index.ts";
import { lineColumnAt } from "../compiler/index.ts";
import type { PolicyProject, PolicySource, ProjectDiagnostic } from "./types.ts";

/** The file names a policy project uses inside its directory. */
export const PROJECT_FILES = Object.freeze({ schema: "schema.cedarschema", entities: "entities.json", routes: "routes.json", tests: "tests" });

/** The outcome of `loadProject`: the project, or every problem found with file:line. */
export type LoadProjectResult =
  | { readonly ok: true; readonly project: PolicyProject }
  | { readonly ok: false; readonly diagnostics: readonly ProjectDiagnostic[] };

/**
 * Reads a policy project: `*.cedar` (in name order), `schema.cedarschema`, `entities.json`
 * (optional) and `routes.json`. Syntax and schema errors come back as diagnostics with the file,
 * line and Cedar's message, never as exceptions.
 */
export function loadProject(dir: string): LoadProjectResult {
  const root = resolve(dir);
  const diagnostics: ProjectDiagnostic[] = [];
  if (!existsSync(root)) return { ok: false, diagnostics: [{ message: `policies directory \`${dir}\` not found` }] };

  const schemaText = readText(root, PROJECT_FILES.schema, diagnostics);
  let schema: SchemaJson<string> = {};
  if (schemaText !== undefined) {
    const answer = cedar.schemaToJsonWithResolvedTypes(schemaText);
    if (answer.type === "success") schema = answer.json;
    else diagnostics.push(...answer.errors.map((e) => toDiagnostic(e, PROJECT_FILES.schema, schemaText)));
  }

  const policies: PolicySource[] = [];
  const files = readdirSync(root).filter((f) => f.endsWith(".cedar")).sort();
  if (files.length === 0) diagnostics.push({ file: ".", message: "expected at least one `.cedar` policy file" });
  for (const file of files) {
    const text = readFileSync(join(root, file), "utf8");
    const parts = cedar.policySetTextToParts(text);
    if (parts.type !== "success") {
      diagnostics.push(...parts.errors.map((e) => toDiagnostic(e, file, text)));
      continue;
    }
    if (parts.policy_templates.length > 0) diagnostics.push({ file, message: "templates are not supported: write static policies" });
    let cursor = 0;
    for (const part of parts.policies) {
      const json = cedar.policyToJson(part);
      if (json.type !== "success") {
        diagnostics.push(...json.errors.map((e) => toDiagnostic(e, file, part)));
        continue;
      }
      // policySetTextToParts hands back slices of the source, so their offsets give the line
      const at = text.indexOf(part, cursor);
      if (at >= 0) cursor = at + part.length;
      const id = json.json.annotations?.id ?? `policy${policies.length}`;
      policies.push({ id, effect: json.json.effect, file, line: at >= 0 ? lineOf(text, utf8Length(text.slice(0, at))).line : 1, text: part, json: json.json as PolicyJson });
    }
  }
  const seen = new Map<string, PolicySource>();
  for (const policy of policies) {
    const first = seen.get(policy.id);
    if (first) diagnostics.push({ file: policy.file, line: policy.line, column: 1, message: `duplicate policy id \`${policy.id}\`, first at ${first.file}:${first.line}` });
    else seen.set(policy.id, policy);
  }

  let entities: EntityJson[] = [];
  if (existsSync(join(root, PROJECT_FILES.entities))) {
    const parsed = readJson(root, PROJECT_FILES.entities, diagnostics);
    if (parsed !== undefined && !Array.isArray(parsed)) diagnostics.push({ file: PROJECT_FILES.entities, message: "expected an array of entities" });
    else if (parsed !== undefined) entities = parsed as EntityJson[];
  }

  let routesSpec: unknown;
  let routes;
  if (existsSync(join(root, PROJECT_FILES.routes))) {
    routesSpec = readJson(root, PROJECT_FILES.routes, diagnostics);
    if (routesSpec !== undefined) {
      try {
        routes = compileRoutes(routesSpec);
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        diagnostics.push({ file: PROJECT_FILES.routes, message: error.message });
      }
    }
  } else {
    diagnostics.push({ file: PROJECT_FILES.routes, message: "expected a route file mapping requests to actions" });
  }

  if (diagnostics.length > 0 || schemaText === undefined || routes === undefined) return { ok: false, diagnostics };
  return { ok: true, project: { dir: root, schemaText, schema, policies, entities, routesSpec, routes } };
}

/** Formats a diagnostic as `file:line:column: message (help)`. */
export function formatDiagnostic(d: ProjectDiagnostic): string {
  const where = d.file === undefined ? "" : d.line === undefined ? `${d.file}: ` : `${d.file}:${d.line}:${d.column ?? 1}: `;
  return `${where}${d.message}${d.help ? ` (${d.help})` : ""}`;
}

/** Turns Cedar's error with byte offsets into a diagnostic at file:line:column. */
export function toDiagnostic(error: DetailedError, file: string, text: string): ProjectDiagnostic {
  const location = error.sourceLocations?.[0];
  const label = location?.label ? `: ${location.label}` : "";
  const message = `${error.message}${label}`;
  const help = error.help ?? undefined;
  if (location === undefined) return help ? { file, message, help } : { file, message };
  const { line, column } = lineOf(text, location.start);
  return help ? { file, line, column, message, help } : { file, line, column, message };
}

// Cedar's offsets count UTF-8 bytes; the compiler's helper converts them
function lineOf(text: string, offset: number): { line: number; column: number } {
  return lineColumnAt(text, offset);
}

function utf8Length(text: string): number {
  return new TextEncoder().encode(text).length;
}

function readText(root: string, file: string, diagnostics: ProjectDiagnostic[]): string | undefined {
  const path = join(root, file);
  if (!existsSync(path)) {
    diagnostics.push({ file, message: "file not found" });
    return undefined;
  }
  return readFileSync(path, "utf8");
}

function readJson(root: string, file: string, diagnostics: ProjectDiagnostic[]): unknown {
  const text = readText(root, file, diagnostics);
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    diagnostics.push({ file, message: `invalid json: ${(error as Error).message.split("\n")[0].toLowerCase()}` });
    return undefined;
  }
}
