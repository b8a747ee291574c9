import { extensionFunctions, isExtensionFunction } from "../../shared/policy/index.ts";
import type { OnForbidError } from "../../shared/policy/index.ts";
import { jsString, stringifyLossless, toJsLiteral } from "./json.ts";

/** A policy ready for code generation: its EST (integers beyond 2^53 as bigint) and metadata. */
export interface GeneratePolicy {
  id: string;
  cedarId: string;
  est: Est;
  annotations: Record<string, string>;
  file?: string;
  line?: number;
  /** Policy text, shown as a comment above the compiled policy. */
  text?: string;
}

/** Input of `generateModule`. */
export interface GenerateInput {
  policies: GeneratePolicy[];
  /** Static entities in Cedar JSON (bigints allowed). */
  entities: unknown[];
  version: string;
  onForbidError: OnForbidError;
  /** Module specifier the generated code imports the runtime (`shared/policy/index.ts`) from. */
  runtimeImport: string;
  /** Where `entities` came from, for errors. */
  entitiesFile?: string;
  /** The schema's entity types, for checking live records at run time; absent without a schema. */
  entityShapes?: object | null;
  /**
   * The `context` attributes the policies can read (`contextAttributesOf` over the same policies'
   * IR), so the pipeline builds no other costly one; absent or `null`: the module says nothing.
   */
  contextAttributes?: readonly string[] | null;
}

// The JSON EST is loosely typed here: the generator checks each shape as it meets it.
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- EST nodes are walked by key
type Est = any;

/** Where a generate error lies, in the terms of `Diagnostic`. */
export interface GenerateErrorSite {
  file?: string;
  line?: number;
  policy?: string;
}

/** The EST could not be compiled (an unknown operator, a template slot, a lossy integer). */
export class GenerateError extends Error {
  /** The policy (or entities file) concerned, once known. */
  readonly site: GenerateErrorSite | undefined;
  constructor(message: string, site?: GenerateErrorSite) {
    super(message);
    this.name = "GenerateError";
    this.site = site;
  }
}

/** EST binary operators and the runtime operator each calls (shared with the IR emitter, #18). */
export const BINARY_OPS: Record<string, string> = {
  "==": "eq",
  "<": "lt",
  "<=": "le",
  ">": "gt",
  ">=": "ge",
  "+": "add",
  "-": "sub",
  "*": "mul",
  contains: "contains",
  containsAll: "containsAll",
  containsAny: "containsAny",
};

export const BUILTIN_KEYS = new Set([
  "Value", "Var", "Slot", "!", "neg", "==", "!=", "in", "<", "<=", ">", ">=", "&&", "||", "+", "-", "*",
  "contains", "containsAll", "containsAny", "isEmpty", "getTag", "hasTag", ".", "has", "like", "is",
  "if-then-else", "Set", "Record",
]);

export const CONSTRUCTORS = new Set(["ip", "decimal", "datetime", "duration"]);

// Operators and functions that always produce a boolean (or throw): their result needs no check
// before `&&`, `||`, `!`, `if` or a `when` clause.
const BOOLEAN_KEYS = new Set([
  "==", "!=", "in", "<", "<=", ">", ">=", "&&", "||", "!", "contains", "containsAll", "containsAny",
  "isEmpty", "hasTag", "has", "like", "is", "isIpv4", "isIpv6", "isLoopback", "isMulticast", "isInRange",
  "lessThan", "lessThanOrEqual", "greaterThan", "greaterThanOrEqual",
]);

/** Whether an EST expression always evaluates to a boolean when it does not error. */
export function isBooleanExpr(e: Est): boolean {
  if (!e || typeof e !== "object") return false;
  const k = Object.keys(e)[0];
  if (k === "Value") return typeof e.Value === "boolean";
  if (k === "if-then-else") return isBooleanExpr(e[k].then) && isBooleanExpr(e[k].else);
  return BOOLEAN_KEYS.has(k);
}

/** Whether an EST expression is an attribute read `x.name` (a `.` node with a string name). */
export function isAttrRead(e: Est): boolean {
  return !!e && typeof e === "object" && Object.keys(e).length === 1 && typeof e["."] === "object" && e["."] !== null && typeof e["."].attr === "string";
}

// Text shown in generated `//` comments, one comment per line. Splitting at every line
// terminator JavaScript knows is all a line comment needs: nothing else can end it.
function commentLines(text: string, prefix: string): string[] {
  return text.split(/\r\n|[\r\n\u2028\u2029]/).map((line) => `${prefix}${line}`);
}

class Emitter {
  readonly consts: string[] = [];
  readonly opsUsed = new Set<string>();
  readonly extUsed = new Set<string>();
  private readonly uids = new Map<string, string>();
  private readonly patterns = new Map<string, string>();
  private readonly constants = new Map<string, string>();

  // A name from the EST (attribute, entity type) as a string literal.
  name(v: Est, what: string): string {
    if (typeof v !== "string") throw new GenerateError(`malformed ${what} ${stringifyLossless(v)}`);
    return jsString(v);
  }

  op(name: string): string {
    this.opsUsed.add(name);
    return `$${name}`;
  }

  // `code` as a checked boolean: Cedar's type error when `e` may produce something else.
  asBool(e: Est, code: string): string {
    return isBooleanExpr(e) ? code : `${this.op("bool")}(${code})`;
  }

  uid(type: string, id: string): string {
    const key = JSON.stringify([type, id]);
    let name = this.uids.get(key);
    if (name === undefined) {
      name = `E${this.uids.size}`;
      this.uids.set(key, name);
      this.consts.push(`const ${name} = ${this.op("uid")}(${jsString(type)}, ${jsString(id)});`);
    }
    return name;
  }

  // A value computed once at load; `constant` defers any error to evaluation time.
  constant(code: string): string {
    let name = this.constants.get(code);
    if (name === undefined) {
      name = `K${this.constants.size}`;
      this.constants.set(code, name);
      this.consts.push(`const ${name} = ${this.op("constant")}(() => ${code});`);
    }
    return `${name}()`;
  }

  pattern(elems: Est[]): string {
    const lit = toJsLiteral(elems);
    let name = this.patterns.get(lit);
    if (name === undefined) {
      name = `L${this.patterns.size}`;
      this.patterns.set(lit, name);
      this.consts.push(`const ${name} = ${this.op("pattern")}(${lit});`);
    }
    return name;
  }

  entityRef(e: Est): string {
    const u = e && typeof e === "object" && "__entity" in e ? e.__entity : e;
    if (!u || typeof u.type !== "string" || typeof u.id !== "string") {
      throw new GenerateError(`malformed entity reference ${stringifyLossless(e)}`);
    }
    return this.uid(u.type, u.id);
  }

  value(v: Est): { code: string; constant: boolean } {
    switch (typeof v) {
      case "boolean":
        return { code: String(v), constant: true };
      case "string":
        return { code: jsString(v), constant: true };
      case "number":
        if (!Number.isSafeInteger(v)) {
          throw new GenerateError(`integer literal ${v} is not exact: parse the EST with a lossless JSON parser`);
        }
        return { code: toJsLiteral(v + 0), constant: true };
      case "bigint": {
        const n = Number(v);
        return { code: toJsLiteral(Number.isSafeInteger(n) ? n : v), constant: true };
      }
    }
    if (v && typeof v === "object" && !Array.isArray(v) && "__entity" in v) {
      return { code: this.entityRef(v), constant: true };
    }
    return { code: this.constant(`${this.op("decode")}(${toJsLiteral(v)})`), constant: true };
  }

  // Compiles an EST expression to a JS expression; `constant` when it reads no variable.
  expr(e: Est): { code: string; constant: boolean } {
    if (!e || typeof e !== "object" || Array.isArray(e)) throw new GenerateError(`malformed expression ${stringifyLossless(e)}`);
    const keys = Object.keys(e);
    if (keys.length !== 1) throw new GenerateError(`expression must have exactly one key, got ${stringifyLossless(keys)}`);
    const k = keys[0];
    const a = e[k];
    if (!BUILTIN_KEYS.has(k)) return this.call(k, a);
    // `readsRequest`: the operator looks at the entity store, so the result is never hoisted
    const bin = (f: (l: string, r: string) => string, readsRequest = false): { code: string; constant: boolean } => {
      const l = this.expr(a.left);
      const r = this.expr(a.right);
      return { code: f(l.code, r.code), constant: !readsRequest && l.constant && r.constant };
    };
    switch (k) {
      case "Value":
        return this.value(a);
      case "Var":
        if (!["principal", "action", "resource", "context"].includes(a)) throw new GenerateError(`unknown variable \`${a}\``);
        return { code: `r.${a}`, constant: false };
      case "Slot":
        throw new GenerateError("policy templates (slots) are not supported");
      case "!": {
        const x = this.expr(a.arg);
        return { code: `!${this.asBool(a.arg, x.code)}`, constant: x.constant };
      }
      case "neg": {
        const x = this.expr(a.arg);
        return { code: `${this.op("neg")}(${x.code})`, constant: x.constant };
      }
      case "!=":
        return bin((l, r) => `!${this.op("eq")}(${l}, ${r})`);
      case "in":
        return bin((l, r) => `${this.op("isIn")}(r, ${l}, ${r})`, true);
      case "&&":
        return bin((l, r) => `(${this.asBool(a.left, l)} && ${this.asBool(a.right, r)})`);
      case "||":
        return bin((l, r) => `(${this.asBool(a.left, l)} || ${this.asBool(a.right, r)})`);
      case "getTag":
      case "hasTag":
        return bin((l, r) => `${this.op(k)}(r, ${l}, ${r})`, true);
      case "isEmpty": {
        const x = this.expr(a.arg);
        return { code: `${this.op("isEmpty")}(${x.code})`, constant: x.constant };
      }
      case ".": {
        const x = this.expr(a.left);
        const name = this.name(a.attr, "attribute");
        const direct = this.direct(a.left, a.attr);
        if (direct !== undefined) return { code: `${this.op("attrAt")}(r, ${x.code}, ${name}, ${direct})`, constant: false };
        return { code: `${this.op("attr")}(r, ${x.code}, ${name})`, constant: false };
      }
      case "has":
        return this.has(a);
      case "like": {
        const x = this.expr(a.left);
        if (!Array.isArray(a.pattern)) throw new GenerateError("malformed `like` pattern");
        return { code: `${this.op("like")}(${x.code}, ${this.pattern(a.pattern)})`, constant: x.constant };
      }
      case "is": {
        const x = this.expr(a.left);
        const test = `${this.op("is")}(${x.code}, ${this.name(a.entity_type, "entity type")})`;
        if (a.in === undefined || a.in === null) return { code: test, constant: x.constant };
        // Cedar desugars `e is T in E` to `e is T && e in E`
        const target = this.expr(a.in);
        return { code: `(${test} && ${this.op("isIn")}(r, ${x.code}, ${target.code}))`, constant: false };
      }
      case "if-then-else": {
        const c = this.expr(a.if);
        const t = this.expr(a.then);
        const f = this.expr(a.else);
        return { code: `(${this.asBool(a.if, c.code)} ? ${t.code} : ${f.code})`, constant: c.constant && t.constant && f.constant };
      }
      case "Set": {
        if (!Array.isArray(a)) throw new GenerateError("malformed set literal");
        const items = a.map((x: Est) => this.expr(x));
        const code = `${this.op("makeSet")}([${items.map((x: { code: string }) => x.code).join(", ")}])`;
        const constant = items.every((x: { constant: boolean }) => x.constant);
        return { code: constant ? this.constant(code) : code, constant };
      }
      case "Record": {
        const entries = Object.entries(a as Record<string, Est>).map(([name, x]) => [name, this.expr(x)] as const);
        const code = `${this.op("makeRecord")}([${entries.map(([name, x]) => `[${jsString(name)}, ${x.code}]`).join(", ")}])`;
        const constant = entries.every(([, x]) => x.constant);
        return { code: constant ? this.constant(code) : code, constant };
      }
    }
    if (k === "contains" && isAttrRead(a.left) && typeof a.right?.Value === "string") {
      // `x.name.contains("literal")`: searched in the request's JSON, without decoding a set
      const x = this.expr(a.left["."].left);
      const name = this.name(a.left["."].attr, "attribute");
      const direct = this.direct(a.left["."].left, a.left["."].attr);
      if (direct !== undefined) return { code: `${this.op("containsAt")}(r, ${x.code}, ${name}, ${jsString(a.right.Value)}, ${direct})`, constant: false };
      return { code: `${this.op("containsAttr")}(r, ${x.code}, ${name}, ${jsString(a.right.Value)})`, constant: false };
    }
    const op = BINARY_OPS[k];
    if (op !== undefined) return bin((l, r) => `${this.op(op)}(${l}, ${r})`);
    throw new GenerateError(`unsupported expression \`${k}\``);
  }

  // For an attribute `name` of `principal`, `resource` or `context`: the read of its JSON and
  // whether the name is inherited, the last arguments of `attrAt`, `hasAt` and `containsAt` (each
  // site reads its own property, so its inline cache sees one shape)
  direct(e: Est, name: string): string | undefined {
    const v = e && typeof e === "object" && Object.keys(e).length === 1 ? e.Var : undefined;
    const json = v === "principal" ? "r.pa" : v === "resource" ? "r.ra" : v === "context" ? "r.cx" : undefined;
    if (json === undefined) return undefined;
    const literal = this.name(name, "attribute");
    // `r.pa.tenant` where the name is an identifier, else `r.pa["a b"]`: either reads the property itself
    const read = /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(name) ? `${json}.${name}` : `${json}[${literal}]`;
    return `${read}, ${literal} in ${this.op("OP")}`;
  }

  // `e has a.b.c` is Cedar's `e has a && e.a has b && e.a.b has c`
  has(a: Est): { code: string; constant: boolean } {
    const attrs: string[] = Array.isArray(a.attr) ? a.attr : [a.attr];
    if (attrs.length === 0) throw new GenerateError("`has` needs an attribute");
    let base = this.expr(a.left).code;
    const tests: string[] = [];
    attrs.forEach((name, i) => {
      if (i > 0) base = `${this.op("attr")}(r, ${base}, ${this.name(attrs[i - 1], "attribute")})`;
      const direct = i === 0 ? this.direct(a.left, name) : undefined;
      if (direct !== undefined) tests.push(`${this.op("hasAt")}(r, ${base}, ${this.name(name, "attribute")}, ${direct})`);
      else tests.push(`${this.op("has")}(r, ${base}, ${this.name(name, "attribute")})`);
    });
    return { code: tests.length === 1 ? tests[0] : `(${tests.join(" && ")})`, constant: false };
  }

  call(name: string, args: Est): { code: string; constant: boolean } {
    if (!isExtensionFunction(name)) throw new GenerateError(`unknown extension function \`${name}\``);
    if (!Array.isArray(args)) throw new GenerateError(`malformed call to \`${name}\``);
    const xs = args.map((x: Est) => this.expr(x));
    const list = xs.map((x: { code: string }) => x.code).join(", ");
    const arity = (extensionFunctions[name] as (...a: unknown[]) => unknown).length;
    if (xs.length !== arity) {
      // Cedar evaluates the arguments, then fails the call
      const failing = `${this.op("fail")}(${jsString(`wrong number of arguments to \`${name}\`: expected ${arity}, got ${xs.length}`)})`;
      return { code: xs.length > 0 ? `(${list}, ${failing})` : failing, constant: false };
    }
    this.extUsed.add(name);
    const code = `$x_${name}(${list})`;
    const constant = xs.every((x: { constant: boolean }) => x.constant);
    // constructors on literals (`ip("10.0.0.0/8")`) are parsed once, at load
    return { code: constant && CONSTRUCTORS.has(name) ? this.constant(code) : code, constant };
  }

  scope(s: Est, what: string): string {
    switch (s?.op) {
      case "All":
        return `{ op: "All" }`;
      case "==":
      case "in":
        if (s.slot !== undefined) throw new GenerateError("policy templates (slots) are not supported");
        if (what === "action" && s.op === "in") {
          const list = s.entities !== undefined ? s.entities : [s.entity];
          return `{ op: "in", entities: [${list.map((x: Est) => this.entityRef(x)).join(", ")}] }`;
        }
        return `{ op: ${jsString(s.op)}, entity: ${this.entityRef(s.entity)} }`;
      case "is":
        if (what === "action") break;
        if (s.in === undefined) return `{ op: "is", type: ${this.name(s.entity_type, "entity type")} }`;
        if (s.in.slot !== undefined) throw new GenerateError("policy templates (slots) are not supported");
        return `{ op: "is", type: ${this.name(s.entity_type, "entity type")}, in: ${this.entityRef(s.in.entity)} }`;
    }
    throw new GenerateError(`unsupported ${what} scope ${stringifyLossless(s)}`);
  }
}

function condition(em: Emitter, est: Est): string | undefined {
  const clauses: Est[] = est.conditions ?? [];
  if (clauses.length === 0) return undefined;
  const parts = clauses.map((c) => {
    const body = em.asBool(c.body, em.expr(c.body).code);
    if (c.kind === "when") return body;
    if (c.kind === "unless") return `!${body}`;
    throw new GenerateError(`unknown condition kind \`${c.kind}\``);
  });
  return parts.join("\n    && ");
}

/**
 * Generates the ES module for a policy set. Each policy becomes an object with its scope and a
 * `condition` arrow function calling the runtime's operators; literals are embedded
 * JSON-encoded and hoisted to module constants. Request data never becomes code.
 */
export function generateModule(input: GenerateInput): string {
  const em = new Emitter();
  const blocks: string[] = [];
  input.policies.forEach((p, i) => {
    const est = p.est;
    let cond: string | undefined;
    let scopes: string[];
    try {
      if (est.effect !== "permit" && est.effect !== "forbid") throw new GenerateError("unknown effect");
      scopes = [em.scope(est.principal, "principal"), em.scope(est.action, "action"), em.scope(est.resource, "resource")];
      cond = condition(em, est);
    } catch (e) {
      // a TypeError here is an EST of the wrong shape (only JSON input can be), not a bug to hide
      if (e instanceof GenerateError || e instanceof TypeError) {
        const message = e instanceof GenerateError ? e.message : `malformed policy: ${(e as TypeError).message}`;
        throw new GenerateError(message, { file: p.file, line: p.line, policy: p.cedarId });
      }
      throw e;
    }
    const where = p.file !== undefined ? ` · ${p.file}${p.line !== undefined ? `:${p.line}` : ""}` : "";
    const head = commentLines(`${p.cedarId}${p.id !== p.cedarId ? ` · @id(${jsString(p.id)})` : ""}${where}`, "// ");
    if (p.text !== undefined) head.push(...commentLines(p.text, "//   "));
    const fields = [
      `id: ${jsString(p.id)}`,
      `cedarId: ${jsString(p.cedarId)}`,
      `effect: ${jsString(est.effect)}`,
      `annotations: Object.fromEntries(${toJsLiteral(Object.entries(p.annotations))})`,
    ];
    if (p.file !== undefined) fields.push(`file: ${jsString(p.file)}`);
    if (p.line !== undefined) fields.push(`line: ${p.line}`);
    fields.push(`principal: ${scopes[0]}`, `action: ${scopes[1]}`, `resource: ${scopes[2]}`);
    if (cond !== undefined) fields.push(`condition: (r) =>\n    ${cond}`);
    blocks.push(`${head.join("\n")}\nconst P${i} = {\n  ${fields.join(",\n  ")},\n};`);
  });
  let entities: string;
  try {
    entities = toJsLiteral(input.entities);
  } catch (e) {
    if (e instanceof TypeError) throw new GenerateError(`entities: ${e.message}`, { file: input.entitiesFile });
    throw e;
  }
  const ops = [...em.opsUsed].sort().map((o) => `${o}: $${o}`);
  const exts = [...em.extUsed].sort().map((x) => `${x}: $x_${x}`);
  return [
    "// Generated by the Gatehouse policy compiler from Cedar policies. Do not edit: rebuild instead.",
    `// version ${input.version}`,
    `import { definePolicySet, ops } from ${jsString(input.runtimeImport)};`,
    "",
    ops.length > 0 ? `const { ${ops.join(", ")} } = ops;` : "",
    exts.length > 0 ? `const { ${exts.join(", ")} } = ops.ext;` : "",
    "",
    ...em.consts,
    "",
    ...blocks.flatMap((b) => [b, ""]),
    "/** The compiled policy set. */",
    "const policySet = definePolicySet({",
    `  version: ${jsString(input.version)},`,
    `  onForbidError: ${jsString(input.onForbidError)},`,
    `  entities: ${entities},`,
    ...(input.entityShapes ? [`  entityShapes: ${JSON.stringify(input.entityShapes)},`] : []),
    ...(input.contextAttributes ? [`  contextAttributes: ${toJsLiteral([...input.contextAttributes])},`] : []),
    `  policies: [${input.policies.map((_, i) => `P${i}`).join(", ")}],`,
    "});",
    "",
    "export default policySet;",
    "/** Decides one request: `{ decision, reasons, errors }`. */",
    "export const evaluate = policySet.evaluate;",
    "/** SHA-256 over the policy, schema and entity sources. */",
    "export const version = policySet.version;",
    "/** Policy ids, effects, annotations and source locations. */",
    "export const policies = policySet.policies;",
    "",
  ].join("\n");
}
