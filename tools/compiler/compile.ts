import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { PACKAGED, PACKAGE_POLICY_RUNTIME } from "../package/mode.ts";
import type { OnForbidError, PolicyInfo } from "../../shared/policy/index.ts";
import { PolicyCompileError, type Diagnostic } from "./errors.ts";
import { GenerateError, generateModule, type GeneratePolicy } from "./generate.ts";
import { generateIr } from "./ir.ts";
import { parseJsonLossless, stringifyLossless } from "./json.ts";
import type { PolicyIr } from "../../shared/policy/bundle/ir.ts";
import { contextAttributesOf } from "../../shared/policy/context-reads.ts";
import { parsePolicySources, type ParsedPolicy, type PolicySource } from "./parse.ts";
import { schemaActionEntities, validateEntities, validatePolicies } from "./validate.ts";
import { entityShapesOf } from "./entity-shapes.ts";

/**
 * Which id a policy gets in `reasons` and `errors`. `"annotation"` (default): its `@id("...")`
 * annotation, else Cedar's generated id. `"cedar"`: always Cedar's `policy0`, `policy1`, ...
 */
export type IdMode = "annotation" | "cedar";

/** Input of `compilePolicies`. */
export interface CompilePoliciesOptions {
  /**
   * Cedar policy text, several sources (files), or ESTs keyed by Cedar id (`{ policy0: {...} }`,
   * as in the conformance corpus). EST integers beyond 2^53 must be bigint.
   */
  policies: string | PolicySource[] | Record<string, unknown>;
  /** Static entities in Cedar JSON, embedded in the module (bigints allowed). Default none. */
  entities?: unknown[];
  /** Schema (Cedar text or JSON). When given, policies are validated in strict mode. */
  schema?: string | object;
  /** File names for diagnostics. */
  schemaFile?: string;
  entitiesFile?: string;
  /** Default `"annotation"`. */
  idMode?: IdMode;
  /** Default `"skip"` (exact Cedar). */
  onForbidError?: OnForbidError;
  /** Specifier the module imports the runtime from. Default: the absolute path of `shared/policy/index.ts`. */
  runtimeImport?: string;
  /** Validate against `schema` (default true when a schema is given). */
  validate?: boolean;
}

/** What compiling produces. */
export interface CompileResult {
  /** The generated ES module. */
  source: string;
  /** SHA-256 (hex) over the policy, schema and entity sources. */
  version: string;
  policies: PolicyInfo[];
  /** Warnings (errors throw `PolicyCompileError`). */
  diagnostics: Diagnostic[];
  /** The same policy set as data, for `shared/policy/bundle` (issue #18). */
  ir: PolicyIr;
}

/** Absolute path of the runtime the generated modules import. */
export const RUNTIME_ENTRY = PACKAGED ? fileURLToPath(import.meta.resolve(PACKAGE_POLICY_RUNTIME)) : resolve(dirname(fileURLToPath(import.meta.url)), "../../shared/policy/index.ts");

function annotationsOf(est: { annotations?: Record<string, string | null> }): Record<string, string> {
  const out: Record<string, string> = {};
  // Cedar reads `@flag` without a value as `@flag("")`
  for (const [k, v] of Object.entries(est.annotations ?? {})) out[k] = v ?? "";
  return out;
}

function versionOf(parts: string[]): string {
  const h = createHash("sha256");
  for (const p of parts) h.update(`${Buffer.byteLength(p)}:`).update(p);
  return h.digest("hex");
}

/**
 * Compiles policies (text or ESTs), static entities and an optional schema into the source of an
 * ES module that imports only the `shared/policy` runtime. Parse and validation errors throw
 * `PolicyCompileError` with file, line and Cedar's message.
 */
export function compilePolicies(opts: CompilePoliciesOptions): CompileResult {
  const diagnostics: Diagnostic[] = [];
  let parsed: ParsedPolicy[];
  const hashParts: string[] = [];
  if (typeof opts.policies === "string" || Array.isArray(opts.policies)) {
    const sources: PolicySource[] = typeof opts.policies === "string" ? [{ text: opts.policies }] : opts.policies;
    for (const s of sources) hashParts.push(`policy:${s.file ?? ""}`, s.text);
    const r = parsePolicySources(sources);
    diagnostics.push(...r.diagnostics);
    parsed = r.policies;
  } else {
    parsed = Object.entries(opts.policies).map(([cedarId, est]) => ({ cedarId, est, text: "" }));
    hashParts.push("policies-json", stringifyLossless(opts.policies));
  }
  if (opts.schema !== undefined) {
    hashParts.push("schema", typeof opts.schema === "string" ? opts.schema : JSON.stringify(opts.schema));
  }
  const entities = [...(opts.entities ?? [])];
  hashParts.push("entities", stringifyLossless(entities));
  if (diagnostics.some((d) => d.severity === "error")) throw new PolicyCompileError(diagnostics);

  if (opts.schema !== undefined) {
    const schema = { schema: opts.schema, file: opts.schemaFile };
    if (opts.validate ?? true) {
      if (parsed.some((p) => p.text === "")) {
        throw new PolicyCompileError([{ severity: "error", message: "validation needs policy text, not ESTs: pass `validate: false`" }]);
      }
      diagnostics.push(...validatePolicies(parsed, schema));
      diagnostics.push(...validateEntities(entities, schema, opts.entitiesFile));
    }
    // Cedar puts the schema's action hierarchy in the entity store; so does the compiled module
    const declared = new Set(entities.map((e) => JSON.stringify([(e as { uid: { type: string } }).uid?.type, (e as { uid: { id: string } }).uid?.id])));
    for (const a of schemaActionEntities(schema)) {
      if (!declared.has(JSON.stringify([a.uid.type, a.uid.id]))) entities.push(a);
    }
  }
  if (diagnostics.some((d) => d.severity === "error")) throw new PolicyCompileError(diagnostics);

  const idMode = opts.idMode ?? "annotation";
  const seen = new Map<string, ParsedPolicy>();
  const gen: GeneratePolicy[] = parsed.map((p) => {
    const annotations = annotationsOf(p.est);
    const id = idMode === "annotation" && annotations.id !== undefined ? annotations.id : p.cedarId;
    const other = seen.get(id);
    if (other !== undefined) {
      diagnostics.push({
        severity: "error",
        file: p.file,
        line: p.line,
        policy: p.cedarId,
        message: `duplicate policy id \`${id}\` (also used at ${other.file ?? "<policies>"}:${other.line ?? "?"})`,
      });
    }
    seen.set(id, p);
    const g: GeneratePolicy = { id, cedarId: p.cedarId, est: p.est, annotations };
    if (p.file !== undefined) g.file = p.file;
    if (p.line !== undefined) g.line = p.line;
    if (p.text !== "") g.text = p.text;
    return g;
  });
  if (diagnostics.some((d) => d.severity === "error")) throw new PolicyCompileError(diagnostics);

  const version = versionOf(hashParts);
  const onForbidError = opts.onForbidError ?? "skip";
  let source: string;
  let ir: PolicyIr;
  try {
    // The schema's entity types go into the module, for checking live entity records
    const entityShapes = opts.schema === undefined ? null : entityShapesOf(opts.schema);
    ir = generateIr({ policies: gen, entities, version, onForbidError, entitiesFile: opts.entitiesFile });
    // What the conditions read of `context`, from the IR a bundle loader walks too, so both forms say the same
    const reads = contextAttributesOf(ir.policies);
    const contextAttributes = reads === null ? null : [...reads].sort();
    source = generateModule({ policies: gen, entities, version, onForbidError, runtimeImport: opts.runtimeImport ?? RUNTIME_ENTRY, entitiesFile: opts.entitiesFile, entityShapes, contextAttributes });
  } catch (e) {
    if (e instanceof GenerateError) throw new PolicyCompileError([...diagnostics, { severity: "error", ...e.site, message: e.message }]);
    throw e;
  }
  const policies: PolicyInfo[] = gen.map((g) => {
    const i: PolicyInfo = { id: g.id, cedarId: g.cedarId, effect: g.est.effect, annotations: g.annotations };
    if (g.file !== undefined) i.file = g.file;
    if (g.line !== undefined) i.line = g.line;
    return i;
  });
  return { source, version, policies, diagnostics, ir };
}

/** Where the build writes the policy IR beside the module: `dist/policies.js` → `dist/policies.ir.json` (issue #18). */
export function irFileFor(outFile: string): string {
  return outFile.replace(/\.[cm]?js$/, "") + ".ir.json";
}

/** Input of `compilePolicyProject`. */
export interface CompileProjectOptions {
  /** Directory with `*.cedar`, and optionally `schema.cedarschema` (or `schema.cedarschema.json`) and `entities.json`. */
  policiesDir: string;
  /**
   * Where to write the module; not written when absent. The runtime import is made relative to
   * this path (default location `dist/policies.js` beside `policiesDir`).
   */
  outFile?: string;
  idMode?: IdMode;
  onForbidError?: OnForbidError;
  /** Overrides the computed runtime import specifier. */
  runtimeImport?: string;
}

// `import` specifier from the module's directory to the runtime entry, POSIX separators.
function relativeImport(fromFile: string): string {
  // From the installed package, by name: a generated module never points into node_modules (#15)
  if (PACKAGED) return PACKAGE_POLICY_RUNTIME;
  let rel = relative(dirname(resolve(fromFile)), RUNTIME_ENTRY).split(sep).join("/");
  if (!rel.startsWith(".")) rel = `./${rel}`;
  return rel;
}

/**
 * The whole build: reads a policy directory, parses and validates with cedar-wasm, and returns
 * (and writes, when `outFile` is set) the generated module. `.cedar` files are read in name
 * order, so Cedar ids run across files in that order.
 */
export function compilePolicyProject(opts: CompileProjectOptions): CompileResult & { outFile: string } {
  const dir = resolve(opts.policiesDir);
  const files = readdirSync(dir).filter((f) => f.endsWith(".cedar")).sort();
  const sources = files.map((f) => ({ file: f, text: readFileSync(join(dir, f), "utf8") }));
  let schema: string | object | undefined;
  let schemaFile: string | undefined;
  if (existsSync(join(dir, "schema.cedarschema"))) {
    schemaFile = "schema.cedarschema";
    schema = readFileSync(join(dir, schemaFile), "utf8");
  } else {
    for (const f of ["schema.cedarschema.json", "schema.json"]) {
      if (existsSync(join(dir, f))) {
        schemaFile = f;
        schema = JSON.parse(readFileSync(join(dir, f), "utf8")) as object;
        break;
      }
    }
  }
  let entities: unknown[] | undefined;
  if (existsSync(join(dir, "entities.json"))) {
    const text = readFileSync(join(dir, "entities.json"), "utf8");
    try {
      entities = parseJsonLossless(text) as unknown[];
    } catch (e) {
      throw new PolicyCompileError([{ severity: "error", file: "entities.json", message: `invalid JSON: ${(e as Error).message}` }]);
    }
    if (!Array.isArray(entities)) {
      throw new PolicyCompileError([{ severity: "error", file: "entities.json", message: "expected an array of entities" }]);
    }
  }
  const outFile = resolve(opts.outFile ?? join(dirname(dir), "dist", "policies.js"));
  const result = compilePolicies({
    policies: sources,
    entities,
    schema,
    schemaFile,
    entitiesFile: entities !== undefined ? "entities.json" : undefined,
    idMode: opts.idMode,
    onForbidError: opts.onForbidError,
    runtimeImport: opts.runtimeImport ?? relativeImport(outFile),
  });
  if (opts.outFile !== undefined) {
    mkdirSync(dirname(outFile), { recursive: true });
    writeFileSync(outFile, result.source);
    writeFileSync(irFileFor(outFile), JSON.stringify(result.ir));
  }
  return { ...result, outFile };
}
