import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join, relative } from "node:path";
import { parse as parseYaml } from "yaml";
import { DECISION_REASONS } from "../../shared/pipeline/reasons.ts";
import type { CedarJsonValue, EntityJson } from "../../shared/policy/index.ts";
import type { PolicyCase, SuiteProblem } from "./types.ts";

/** Test files found and read: the cases in file order, and every problem with file and field. */
export interface LoadedSuites {
  readonly files: readonly string[];
  readonly cases: readonly PolicyCase[];
  readonly problems: readonly SuiteProblem[];
}

const CASE_FIELDS = ["name", "claims", "principal", "request", "method", "path", "context", "entities", "headers", "ip", "now", "expect", "reason", "policies", "errors",
  "liveEntities"];
const DEFAULT_FIELDS = ["claims", "context", "entities", "headers", "ip", "now"];
const METHOD = /^[A-Z][A-Z-]{0,19}$/;

/**
 * Reads every `*.yaml`, `*.yml` and `*.json` file in `testsDir` (name order). A suite is
 * `{ defaults?, cases: [...] }`; `defaults.claims` is merged under each case's claims (a case
 * without claims has no token), `defaults.context` under its context, `defaults.entities` before
 * its entities. A file or case that does not fit is a problem naming the field, never a throw.
 * File names in the result are relative to `baseDir`.
 */
export function loadSuites(testsDir: string, baseDir = testsDir): LoadedSuites {
  const problems: SuiteProblem[] = [];
  const cases: PolicyCase[] = [];
  if (!existsSync(testsDir)) return { files: [], cases, problems };
  const files = readdirSync(testsDir).filter((f) => /\.(ya?ml|json)$/.test(f)).sort();
  for (const name of files) {
    const file = relative(baseDir, join(testsDir, name)) || name;
    const text = readFileSync(join(testsDir, name), "utf8");
    let doc: unknown;
    try {
      doc = name.endsWith(".json") ? JSON.parse(text) : parseYaml(text);
    } catch (error) {
      problems.push({ file, field: "", message: `cannot parse: ${(error as Error).message.split("\n")[0]}` });
      continue;
    }
    readSuite(doc, file, cases, problems);
  }
  return { files: files.map((f) => relative(baseDir, join(testsDir, f))), cases, problems };
}

function readSuite(doc: unknown, file: string, cases: PolicyCase[], problems: SuiteProblem[]): void {
  const problem = (field: string, message: string) => problems.push({ file, field, message });
  if (!isRecord(doc)) return void problem("", "expected a mapping with `cases`");
  for (const key of Object.keys(doc)) if (key !== "defaults" && key !== "cases" && !key.startsWith("$")) problem(key, "unknown field; expected `defaults` or `cases`");
  const defaults = doc.defaults ?? {};
  if (!isRecord(defaults)) return void problem("defaults", "expected a mapping");
  for (const key of Object.keys(defaults)) if (!DEFAULT_FIELDS.includes(key)) problem(`defaults.${key}`, `unknown field; expected one of ${DEFAULT_FIELDS.join(", ")}`);
  if (!Array.isArray(doc.cases)) return void problem("cases", "expected a list of cases");
  const base = {
    claims: optionalRecord(defaults.claims, "defaults.claims", problem),
    context: optionalRecord(defaults.context, "defaults.context", problem) as Record<string, CedarJsonValue> | undefined,
    entities: optionalList(defaults.entities, "defaults.entities", problem) as EntityJson[] | undefined,
    headers: optionalStrings(defaults.headers, "defaults.headers", problem),
    ip: optionalString(defaults.ip, "defaults.ip", problem),
    now: optionalTime(defaults.now, "defaults.now", problem),
  };

  doc.cases.forEach((raw: unknown, index: number) => {
    const at = `cases[${index}]`;
    const before = problems.length;
    if (!isRecord(raw)) return void problem(at, "expected a mapping");
    for (const key of Object.keys(raw)) if (!CASE_FIELDS.includes(key)) problem(`${at}.${key}`, `unknown field; expected one of ${CASE_FIELDS.join(", ")}`);
    const name = typeof raw.name === "string" && raw.name.length > 0 ? raw.name : (problem(`${at}.name`, "expected a non-empty string"), `case ${index}`);

    let method: string | undefined;
    let path: string | undefined;
    if (raw.request !== undefined) {
      const parts = typeof raw.request === "string" ? raw.request.trim().split(/\s+/) : [];
      if (parts.length !== 2 || !METHOD.test(parts[0])) problem(`${at}.request`, `expected \`METHOD /path\`, got ${show(raw.request)}`);
      else [method, path] = parts;
    } else {
      method = typeof raw.method === "string" && METHOD.test(raw.method) ? raw.method : (problem(`${at}.method`, "expected `request: METHOD /path`, or `method` and `path`"), undefined);
      path = typeof raw.path === "string" ? raw.path : (problem(`${at}.path`, "expected a path such as `/orders/1`"), undefined);
    }

    if (raw.expect !== "allow" && raw.expect !== "deny") problem(`${at}.expect`, `expected \`allow\` or \`deny\`, got ${show(raw.expect)}`);
    const claims = optionalRecord(raw.claims, `${at}.claims`, problem);
    const principal = raw.principal === undefined ? undefined : entity(raw.principal, `${at}.principal`, problem);
    if (claims !== undefined && principal !== undefined) problem(`${at}.principal`, "expected either `claims` or `principal`, not both");
    const context = optionalRecord(raw.context, `${at}.context`, problem) as Record<string, CedarJsonValue> | undefined;
    const entities = optionalList(raw.entities, `${at}.entities`, problem) as EntityJson[] | undefined;
    entities?.forEach((e, i) => entity(e, `${at}.entities[${i}]`, problem));
    const liveEntities = optionalList(raw.liveEntities, `${at}.liveEntities`, problem); // Checked by the entity stage itself
    const headers = optionalStrings(raw.headers, `${at}.headers`, problem);
    const ip = optionalString(raw.ip, `${at}.ip`, problem);
    const now = optionalTime(raw.now, `${at}.now`, problem);
    const reason = optionalString(raw.reason, `${at}.reason`, problem);
    if (reason !== undefined && !(DECISION_REASONS as readonly string[]).includes(reason)) problem(`${at}.reason`, `expected a reason code such as \`allowed\`, \`policy_denied\` or \`forbid_error\` (see docs/reasons.md), got \`${reason}\``);
    const policies = optionalIds(raw.policies, `${at}.policies`, problem);
    const errors = optionalIds(raw.errors, `${at}.errors`, problem);
    if (problems.length > before || method === undefined || path === undefined) return;

    const mergedEntities = [...(base.entities ?? []), ...(entities ?? [])];
    const mergedHeaders = base.headers || headers ? { ...base.headers, ...headers } : undefined;
    const mergedContext = base.context || context ? { ...base.context, ...context } : undefined;
    cases.push({
      name,
      file,
      index,
      method,
      path,
      expect: raw.expect as "allow" | "deny",
      ...(claims !== undefined ? { claims: { ...base.claims, ...claims } } : {}),
      ...(principal !== undefined ? { principal } : {}),
      ...(mergedContext ? { context: mergedContext } : {}),
      ...(mergedEntities.length > 0 ? { entities: mergedEntities } : {}),
      ...(liveEntities !== undefined ? { liveEntities } : {}),
      ...(mergedHeaders ? { headers: mergedHeaders } : {}),
      ...((ip ?? base.ip) !== undefined ? { ip: (ip ?? base.ip)! } : {}),
      ...((now ?? base.now) !== undefined ? { now: (now ?? base.now)! } : {}),
      ...(reason !== undefined ? { reason } : {}),
      ...(policies !== undefined ? { policies } : {}),
      ...(errors !== undefined ? { errors } : {}),
    });
  });
}

type Problem = (field: string, message: string) => void;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function optionalRecord(value: unknown, field: string, problem: Problem): Record<string, unknown> | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isRecord(value)) return void problem(field, `expected a mapping, got ${show(value)}`);
  return value;
}

function optionalList(value: unknown, field: string, problem: Problem): unknown[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) return void problem(field, `expected a list, got ${show(value)}`);
  return value;
}

function optionalString(value: unknown, field: string, problem: Problem): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "string") return void problem(field, `expected a string, got ${show(value)}`);
  return value;
}

function optionalStrings(value: unknown, field: string, problem: Problem): Record<string, string> | undefined {
  const record = optionalRecord(value, field, problem);
  if (record === undefined) return undefined;
  for (const [key, item] of Object.entries(record)) if (typeof item !== "string") problem(`${field}.${key}`, `expected a string, got ${show(item)}`);
  return record as Record<string, string>;
}

function optionalIds(value: unknown, field: string, problem: Problem): string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.some((id) => typeof id !== "string")) return void problem(field, `expected a list of policy ids, got ${show(value)}`);
  return value as string[];
}

function optionalTime(value: unknown, field: string, problem: Problem): number | undefined {
  if (value === undefined) return undefined;
  // YAML reads an unquoted timestamp as a Date
  const ms = value instanceof Date ? value.getTime() : typeof value === "string" && /^\d{4}-\d{2}-\d{2}/.test(value) ? Date.parse(value) : Number.NaN;
  if (!Number.isFinite(ms)) return void problem(field, `expected an RFC 3339 time such as \`2026-01-01T09:00:00Z\`, got ${show(value)}`);
  return ms;
}

function entity(value: unknown, field: string, problem: Problem): EntityJson | undefined {
  const uid = isRecord(value) ? (isRecord(value.uid) && isRecord(value.uid.__entity) ? value.uid.__entity : value.uid) : undefined;
  if (!isRecord(value) || !isRecord(uid) || typeof uid.type !== "string" || typeof uid.id !== "string") {
    return void problem(field, `expected a cedar entity \`{ uid: { type, id }, attrs, parents }\`, got ${show(value)}`);
  }
  return value as unknown as EntityJson;
}

function show(value: unknown): string {
  const text = value === undefined ? "nothing" : JSON.stringify(value) ?? String(value);
  return `\`${text.length > 60 ? `${text.slice(0, 57)}...` : text}\``;
}
