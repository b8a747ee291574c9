// Emits the policy IR (issue #18): the same EST walk as `generate.ts`, producing JSON data that
// `shared/policy/bundle/load.ts` turns into closures at run time. Each case mirrors the generator's,
// including which operands get a boolean check and which literals are computed once at load.
import { extensionFunctions, isExtensionFunction } from "../../shared/policy/index.ts";
import { POLICY_IR_FORMAT, POLICY_IR_FORMAT_VERSION } from "../../shared/policy/bundle/ir.ts";
import type { ActionScopeIr, ExprIr, JsonIr, JsonTree, PolicyIr, PolicyIrEntry, ScopeIr, UidIr } from "../../shared/policy/bundle/ir.ts";
import { BINARY_OPS, BUILTIN_KEYS, CONSTRUCTORS, GenerateError, isBooleanExpr, type GenerateInput } from "./generate.ts";
import { stringifyLossless } from "./json.ts";

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- EST nodes are walked by key, as in generate.ts
type Est = any;

interface Emitted {
  ir: ExprIr;
  constant: boolean;
}

function hasBigint(v: unknown): boolean {
  if (typeof v === "bigint") return true;
  if (Array.isArray(v)) return v.some(hasBigint);
  if (v !== null && typeof v === "object") return Object.values(v).some(hasBigint);
  return false;
}

function tree(v: unknown): JsonTree {
  if (typeof v === "bigint") return ["n", v.toString()];
  if (Array.isArray(v)) return ["a", v.map(tree)];
  if (v !== null && typeof v === "object") return ["o", Object.entries(v).map(([k, x]) => [k, tree(x)])];
  if (typeof v === "number" && !Number.isFinite(v)) throw new TypeError(`cannot embed the number ${v}`);
  return ["s", v];
}

/** A JSON value for the IR: plain when it holds no bigint, else tagged so 64-bit integers stay exact. */
export function jsonIr(v: unknown): JsonIr {
  return hasBigint(v) ? { t: tree(v) } : { j: v };
}

function name(v: Est, what: string): string {
  if (typeof v !== "string") throw new GenerateError(`malformed ${what} ${stringifyLossless(v)}`);
  return v;
}

function asBool(e: Est, x: ExprIr): ExprIr {
  return isBooleanExpr(e) ? x : ["bool", x];
}

function entityRef(e: Est): UidIr {
  const u = e && typeof e === "object" && "__entity" in e ? e.__entity : e;
  if (!u || typeof u.type !== "string" || typeof u.id !== "string") {
    throw new GenerateError(`malformed entity reference ${stringifyLossless(e)}`);
  }
  return [u.type, u.id];
}

function value(v: Est): Emitted {
  switch (typeof v) {
    case "boolean":
    case "string":
      return { ir: ["lit", v], constant: true };
    case "number":
      if (!Number.isSafeInteger(v)) throw new GenerateError(`integer literal ${v} is not exact: parse the EST with a lossless JSON parser`);
      return { ir: ["lit", v + 0], constant: true };
    case "bigint": {
      const n = Number(v);
      return { ir: Number.isSafeInteger(n) ? ["lit", n] : ["long", v.toString()], constant: true };
    }
  }
  if (v && typeof v === "object" && !Array.isArray(v) && "__entity" in v) return { ir: ["uid", ...entityRef(v)], constant: true };
  return { ir: ["const", ["decode", jsonIr(v)]], constant: true };
}

function expr(e: Est): Emitted {
  if (!e || typeof e !== "object" || Array.isArray(e)) throw new GenerateError(`malformed expression ${stringifyLossless(e)}`);
  const keys = Object.keys(e);
  if (keys.length !== 1) throw new GenerateError(`expression must have exactly one key, got ${stringifyLossless(keys)}`);
  const k = keys[0];
  const a = e[k];
  if (!BUILTIN_KEYS.has(k)) return call(k, a);
  const bin = (f: (l: ExprIr, r: ExprIr) => ExprIr, readsRequest = false): Emitted => {
    const l = expr(a.left);
    const r = expr(a.right);
    return { ir: f(l.ir, r.ir), constant: !readsRequest && l.constant && r.constant };
  };
  switch (k) {
    case "Value":
      return value(a);
    case "Var":
      if (!["principal", "action", "resource", "context"].includes(a)) throw new GenerateError(`unknown variable \`${a}\``);
      return { ir: ["var", a], constant: false };
    case "Slot":
      throw new GenerateError("policy templates (slots) are not supported");
    case "!": {
      const x = expr(a.arg);
      return { ir: ["not", asBool(a.arg, x.ir)], constant: x.constant };
    }
    case "neg": {
      const x = expr(a.arg);
      return { ir: ["neg", x.ir], constant: x.constant };
    }
    case "!=":
      return bin((l, r) => ["ne", l, r]);
    case "in":
      return bin((l, r) => ["in", l, r], true);
    case "&&":
      return bin((l, r) => ["and", asBool(a.left, l), asBool(a.right, r)]);
    case "||":
      return bin((l, r) => ["or", asBool(a.left, l), asBool(a.right, r)]);
    case "getTag":
    case "hasTag":
      return bin((l, r) => [k, l, r], true);
    case "isEmpty": {
      const x = expr(a.arg);
      return { ir: ["isEmpty", x.ir], constant: x.constant };
    }
    case ".":
      return { ir: ["attr", expr(a.left).ir, name(a.attr, "attribute")], constant: false };
    case "has":
      return has(a);
    case "like": {
      const x = expr(a.left);
      if (!Array.isArray(a.pattern)) throw new GenerateError("malformed `like` pattern");
      return { ir: ["like", x.ir, a.pattern], constant: x.constant };
    }
    case "is": {
      const x = expr(a.left);
      const test: ExprIr = ["is", x.ir, name(a.entity_type, "entity type")];
      if (a.in === undefined || a.in === null) return { ir: test, constant: x.constant };
      // Cedar desugars `e is T in E` to `e is T && e in E`
      return { ir: ["and", test, ["in", x.ir, expr(a.in).ir]], constant: false };
    }
    case "if-then-else": {
      const c = expr(a.if);
      const t = expr(a.then);
      const f = expr(a.else);
      return { ir: ["if", asBool(a.if, c.ir), t.ir, f.ir], constant: c.constant && t.constant && f.constant };
    }
    case "Set": {
      if (!Array.isArray(a)) throw new GenerateError("malformed set literal");
      const items = a.map((x: Est) => expr(x));
      const constant = items.every((x: Emitted) => x.constant);
      const ir: ExprIr = ["set", items.map((x: Emitted) => x.ir)];
      return { ir: constant ? ["const", ir] : ir, constant };
    }
    case "Record": {
      const entries = Object.entries(a as Record<string, Est>).map(([n, x]) => [n, expr(x)] as const);
      const constant = entries.every(([, x]) => x.constant);
      const ir: ExprIr = ["record", entries.map(([n, x]) => [n, x.ir] as [string, ExprIr])];
      return { ir: constant ? ["const", ir] : ir, constant };
    }
  }
  const op = BINARY_OPS[k];
  if (op !== undefined) return bin((l, r) => [op, l, r] as ExprIr);
  throw new GenerateError(`unsupported expression \`${k}\``);
}

// `e has a.b.c` is Cedar's `e has a && e.a has b && e.a.b has c`
function has(a: Est): Emitted {
  const attrs: string[] = Array.isArray(a.attr) ? a.attr : [a.attr];
  if (attrs.length === 0) throw new GenerateError("`has` needs an attribute");
  let base = expr(a.left).ir;
  let test: ExprIr | undefined;
  attrs.forEach((n, i) => {
    if (i > 0) base = ["attr", base, name(attrs[i - 1], "attribute")];
    const t: ExprIr = ["has", base, name(n, "attribute")];
    test = test === undefined ? t : ["and", test, t];
  });
  return { ir: test!, constant: false };
}

function call(fn: string, args: Est): Emitted {
  if (!isExtensionFunction(fn)) throw new GenerateError(`unknown extension function \`${fn}\``);
  if (!Array.isArray(args)) throw new GenerateError(`malformed call to \`${fn}\``);
  const xs = args.map((x: Est) => expr(x));
  const arity = (extensionFunctions[fn] as (...a: unknown[]) => unknown).length;
  if (xs.length !== arity) {
    // Cedar evaluates the arguments, then fails the call
    return { ir: ["fail", `wrong number of arguments to \`${fn}\`: expected ${arity}, got ${xs.length}`, xs.map((x: Emitted) => x.ir)], constant: false };
  }
  const constant = xs.every((x: Emitted) => x.constant);
  const ir: ExprIr = ["call", fn, xs.map((x: Emitted) => x.ir)];
  // constructors on literals (`ip("10.0.0.0/8")`) are parsed once, at load
  return { ir: constant && CONSTRUCTORS.has(fn) ? ["const", ir] : ir, constant };
}

function scope(s: Est, what: "principal" | "resource"): ScopeIr {
  switch (s?.op) {
    case "All":
      return { op: "All" };
    case "==":
    case "in":
      if (s.slot !== undefined) throw new GenerateError("policy templates (slots) are not supported");
      return { op: s.op, entity: entityRef(s.entity) };
    case "is":
      if (s.in === undefined) return { op: "is", type: name(s.entity_type, "entity type") };
      if (s.in.slot !== undefined) throw new GenerateError("policy templates (slots) are not supported");
      return { op: "is", type: name(s.entity_type, "entity type"), in: entityRef(s.in.entity) };
  }
  throw new GenerateError(`unsupported ${what} scope ${stringifyLossless(s)}`);
}

function actionScope(s: Est): ActionScopeIr {
  switch (s?.op) {
    case "All":
      return { op: "All" };
    case "==":
      if (s.slot !== undefined) throw new GenerateError("policy templates (slots) are not supported");
      return { op: "==", entity: entityRef(s.entity) };
    case "in":
      return { op: "in", entities: (s.entities !== undefined ? s.entities : [s.entity]).map(entityRef) };
  }
  throw new GenerateError(`unsupported action scope ${stringifyLossless(s)}`);
}

function conditions(est: Est): ExprIr[] {
  const clauses: Est[] = est.conditions ?? [];
  return clauses.map((c) => {
    const body = asBool(c.body, expr(c.body).ir);
    if (c.kind === "when") return body;
    if (c.kind === "unless") return ["not", body];
    throw new GenerateError(`unknown condition kind \`${c.kind}\``);
  });
}

/**
 * The policy set as IR: what `generateModule` compiles to code, as JSON data instead. Fails with
 * the same `GenerateError`s, at the same policies.
 */
export function generateIr(input: Omit<GenerateInput, "runtimeImport">): PolicyIr {
  const policies = input.policies.map((p): PolicyIrEntry => {
    const est = p.est;
    try {
      if (est.effect !== "permit" && est.effect !== "forbid") throw new GenerateError("unknown effect");
      const entry: PolicyIrEntry = { id: p.id, cedarId: p.cedarId, effect: est.effect, annotations: p.annotations } as PolicyIrEntry;
      if (p.file !== undefined) entry.file = p.file;
      if (p.line !== undefined) entry.line = p.line;
      entry.principal = scope(est.principal, "principal");
      entry.action = actionScope(est.action);
      entry.resource = scope(est.resource, "resource");
      entry.conditions = conditions(est);
      return entry;
    } catch (e) {
      if (e instanceof GenerateError || e instanceof TypeError) {
        const message = e instanceof GenerateError ? e.message : `malformed policy: ${(e as TypeError).message}`;
        throw new GenerateError(message, { file: p.file, line: p.line, policy: p.cedarId });
      }
      throw e;
    }
  });
  let entities: JsonIr;
  try {
    entities = jsonIr(input.entities);
  } catch (e) {
    if (e instanceof TypeError) throw new GenerateError(`entities: ${e.message}`, { file: input.entitiesFile });
    throw e;
  }
  return { format: POLICY_IR_FORMAT, formatVersion: POLICY_IR_FORMAT_VERSION, version: input.version, onForbidError: input.onForbidError, entities, policies };
}
