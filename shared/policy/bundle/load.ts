// Turns a policy IR into a policy set: every expression node becomes a closure over the runtime's
// own operators (`../ops.ts`), so a loaded bundle decides exactly as the generated module does.
// No `eval`, no Function constructor: workerd forbids both. Each node is checked against its operation's
// signature as it is built, so a malformed IR fails here, at load, with the node's path.
import { definePolicySet, type ActionScopeDef, type PolicyDef, type ScopeDef } from "../define.ts";
import { contextAttributesOf } from "../context-reads.ts";
import { extensionFunctions, isExtensionFunction } from "../extensions.ts";
import type { PatternElem } from "../like.ts";
import * as ops from "../ops.ts";
import type { RequestView } from "../ops.ts";
import type { CompiledPolicySet, EntityJson } from "../types.ts";
import type { EntityUid, Value } from "../values.ts";
import { PolicyIrError } from "./errors.ts";
import { OPERANDS, POLICY_IR_FORMAT, POLICY_IR_FORMAT_VERSION, type PolicyIrEntry } from "./ir.ts";
import { readJsonIr } from "./json.ts";

type Fn = (r: RequestView) => Value;
type Test = (r: RequestView) => boolean;
/** A built node; `reads`: it reads the request or the entity store, so it may not sit under `const`. */
type Built = { fn: Fn; reads: boolean };

// Operations by arity and by what they read; each table's functions are the runtime's own
const UNARY = new Map<string, (a: Value) => Value>([["bool", ops.bool], ["neg", ops.neg], ["isEmpty", ops.isEmpty]]);
const BINARY = new Map<string, (a: Value, b: Value) => Value>([
  ["eq", ops.eq], ["ne", (a, b) => !ops.eq(a, b)], ["lt", ops.lt], ["le", ops.le], ["gt", ops.gt], ["ge", ops.ge],
  ["add", ops.add], ["sub", ops.sub], ["mul", ops.mul], ["contains", ops.contains], ["containsAll", ops.containsAll], ["containsAny", ops.containsAny],
]);
// `.` and `has` take the attribute name as their second operand (checked a string), the others a value
const WITH_REQUEST = new Map<string, (r: RequestView, a: Value, b: never) => Value>([["in", ops.isIn], ["getTag", ops.getTag], ["hasTag", ops.hasTag], ["attr", ops.attr], ["has", ops.has]]);

// The checks of the operand letters in `OPERANDS` (`e`, `b` are checked by building the node)
const KINDS: Record<string, [string, (v: unknown) => boolean]> = {
  s: ["a string", (v) => typeof v === "string"],
  L: ["a boolean, string or safe integer", (v) => typeof v === "boolean" || typeof v === "string" || Number.isSafeInteger(v)],
  N: ["an integer in decimal digits", (v) => typeof v === "string" && /^-?[0-9]{1,20}$/.test(v)],
  P: ["a `like` pattern", (v) => Array.isArray(v) && v.every((x) => x === "Wildcard" || typeof x?.Literal === "string")],
  V: ["a variable", (v) => v === "principal" || v === "action" || v === "resource" || v === "context"],
  E: ["a list of expressions", Array.isArray],
  R: ["a list of [name, expression] entries", (v) => Array.isArray(v) && v.every((x) => Array.isArray(x) && x.length === 2 && typeof x[0] === "string")],
};

// Operations whose result is always a boolean (or an error), as in the compiler's `isBooleanExpr`
const BOOLEAN_OPS = new Set(["bool", "not", "eq", "ne", "lt", "le", "gt", "ge", "contains", "containsAll", "containsAny", "isEmpty", "and", "or", "in", "hasTag", "has", "like", "is"]);
const BOOLEAN_FUNCTIONS = new Set(["isIpv4", "isIpv6", "isLoopback", "isMulticast", "isInRange", "lessThan", "lessThanOrEqual", "greaterThan", "greaterThanOrEqual"]);

function yieldsBoolean(e: unknown[]): boolean {
  if (e[0] === "lit") return typeof e[1] === "boolean";
  if (e[0] === "if") return yieldsBoolean(e[2] as unknown[]) && yieldsBoolean(e[3] as unknown[]);
  if (e[0] === "call") return BOOLEAN_FUNCTIONS.has(e[1] as string);
  return BOOLEAN_OPS.has(e[0] as string);
}

// Never evaluated: `const` closures run once, at load, with no request
const NO_REQUEST = undefined as unknown as RequestView;

const fail = (path: string, message: string): never => {
  throw new PolicyIrError(path, message);
};

class Builder {
  private readonly uids = new Map<string, EntityUid>();

  uid(u: unknown, path: string): EntityUid {
    if (!Array.isArray(u) || u.length !== 2 || typeof u[0] !== "string" || typeof u[1] !== "string") fail(path, "expected an entity reference [type, id]");
    const [type, id] = u as [string, string];
    const key = type + "\u0000" + id;
    let uid = this.uids.get(key);
    if (uid === undefined) this.uids.set(key, (uid = ops.uid(type, id)));
    return uid;
  }

  str(v: unknown, path: string): string {
    return typeof v === "string" ? v : fail(path, "expected a string");
  }

  // A boolean operand. The compiler leaves operands that always yield a boolean unchecked and wraps
  // the rest in `bool`; anything else found here is checked too, so no IR can skip Cedar's type check.
  test(e: unknown, path: string): { fn: Test; reads: boolean } {
    const b = this.expr(e, path);
    if (yieldsBoolean(e as unknown[])) return { fn: b.fn as Test, reads: b.reads };
    const f = b.fn;
    return { fn: (r) => ops.bool(f(r)), reads: b.reads };
  }

  list(xs: unknown[], path: string): Built[] {
    return xs.map((x, i) => this.expr(x, `${path}[${i}]`));
  }

  expr(e: unknown, path: string): Built {
    if (!Array.isArray(e)) return fail(path, "expected an expression [op, ...]");
    const op = e[0] as string;
    const signature = OPERANDS.get(op) ?? fail(path, `unknown operation \`${String(op)}\``);
    if (e.length !== signature.length + 1) fail(path, `\`${op}\` takes ${signature.length} operand(s)`);
    for (let i = 0; i < signature.length; i++) {
      const kind = KINDS[signature[i]];
      if (kind !== undefined && !kind[1](e[i + 1])) fail(`${path}[${i + 1}]`, `expected ${kind[0]}`);
    }
    const sub = (i: number): Built => this.expr(e[i], `${path}[${i}]`);
    const either = (...xs: { reads: boolean }[]): boolean => xs.some((x) => x.reads);
    const unary = UNARY.get(op);
    if (unary !== undefined) {
      const x = sub(1);
      const f = x.fn;
      return { fn: (r) => unary(f(r)), reads: x.reads };
    }
    const binary = BINARY.get(op);
    if (binary !== undefined) {
      const [l, rt] = [sub(1), sub(2)];
      const [f, g] = [l.fn, rt.fn];
      const attrRead = e[1] as unknown[];
      const literal = e[2] as unknown[];
      if (op === "contains" && attrRead[0] === "attr" && literal[0] === "lit" && typeof literal[1] === "string") {
        // `x.name.contains("literal")`, as the generated module calls it: searched in the request's JSON
        const x = this.expr(attrRead[1], `${path}[1][1]`).fn;
        const [name, s] = [attrRead[2] as string, literal[1]];
        switch (varOf(attrRead[1])) {
          case "principal":
            return { fn: (r) => ops.containsAt(r, r.principal, name, s, r.pa[name], name in OP), reads: true };
          case "resource":
            return { fn: (r) => ops.containsAt(r, r.resource, name, s, r.ra[name], name in OP), reads: true };
          case "context":
            return { fn: (r) => ops.containsAt(r, r.context, name, s, r.cx[name], name in OP), reads: true };
        }
        return { fn: (r) => ops.containsAttr(r, x(r), name, s), reads: true };
      }
      return { fn: (r) => binary(f(r), g(r)), reads: either(l, rt) };
    }
    const withRequest = WITH_REQUEST.get(op);
    if (withRequest !== undefined) {
      const f = sub(1).fn;
      // `.` and `has` take the attribute name itself, the others a second expression
      if (op === "attr" || op === "has") {
        const name = e[2] as never;
        // `principal.name` and the like, as the generated module reads them (see `ops.attrAt`)
        const at = op === "attr" ? ops.attrAt : ops.hasAt;
        switch (varOf(e[1])) {
          case "principal":
            return { fn: (r) => at(r, r.principal, name, r.pa[name], name in OP), reads: true };
          case "resource":
            return { fn: (r) => at(r, r.resource, name, r.ra[name], name in OP), reads: true };
          case "context":
            return { fn: (r) => at(r, r.context, name, r.cx[name], name in OP), reads: true };
        }
        return { fn: (r) => withRequest(r, f(r), name), reads: true };
      }
      const g = sub(2).fn as (r: RequestView) => never;
      return { fn: (r) => withRequest(r, f(r), g(r)), reads: true };
    }
    switch (op) {
      case "lit": {
        const v = e[1] as Value;
        return { fn: () => v, reads: false };
      }
      case "long": {
        // embedded as is, like the generated module's `123n` literal
        const v = BigInt(e[1] as string);
        return { fn: () => v, reads: false };
      }
      case "uid": {
        const v = this.uid([e[1], e[2]], path);
        return { fn: () => v, reads: false };
      }
      case "decode": {
        const json = readJsonIr(e[1] as never, `${path}[1]`);
        return { fn: () => ops.decode(json), reads: false };
      }
      case "const": {
        const x = sub(1);
        if (x.reads) fail(path, "a constant may not read the request");
        return { fn: ops.constant(() => x.fn(NO_REQUEST)), reads: false };
      }
      case "var":
        // one closure per variable: a keyed read `r[v]` is slower on the hot path
        switch (e[1]) {
          case "principal":
            return { fn: (r) => r.principal, reads: true };
          case "action":
            return { fn: (r) => r.action, reads: true };
          case "resource":
            return { fn: (r) => r.resource, reads: true };
        }
        return { fn: (r) => r.context, reads: true };
      case "not": {
        const x = this.test(e[1], `${path}[1]`);
        const f = x.fn;
        return { fn: (r) => !f(r), reads: x.reads };
      }
      case "and":
      case "or": {
        const [l, rt] = [this.test(e[1], `${path}[1]`), this.test(e[2], `${path}[2]`)];
        const [f, g] = [l.fn, rt.fn];
        return { fn: op === "and" ? (r) => f(r) && g(r) : (r) => f(r) || g(r), reads: either(l, rt) };
      }
      case "like": {
        const x = sub(1);
        const f = x.fn;
        const p = ops.pattern((e[2] as PatternElem[]).map((y) => (y === "Wildcard" ? y : { Literal: y.Literal })));
        return { fn: (r) => ops.like(f(r), p), reads: x.reads };
      }
      case "is": {
        const x = sub(1);
        const [f, type] = [x.fn, e[2] as string];
        return { fn: (r) => ops.is(f(r), type), reads: x.reads };
      }
      case "if": {
        const [c, t, f] = [this.test(e[1], `${path}[1]`), sub(2), sub(3)];
        const [cf, tf, ff] = [c.fn, t.fn, f.fn];
        return { fn: (r) => (cf(r) ? tf(r) : ff(r)), reads: either(c, t, f) };
      }
      case "set": {
        const items = this.list(e[1] as unknown[], `${path}[1]`);
        const fs = items.map((x) => x.fn);
        return { fn: (r) => ops.makeSet(fs.map((f) => f(r))), reads: either(...items) };
      }
      case "record": {
        const entries = (e[1] as [string, unknown][]).map(([k, x], i) => [k, this.expr(x, `${path}[1][${i}][1]`)] as const);
        return { fn: (r) => ops.makeRecord(entries.map(([k, x]) => [k, x.fn(r)])), reads: entries.some(([, x]) => x.reads) };
      }
      case "call": {
        const name = e[1] as string;
        if (!isExtensionFunction(name)) fail(`${path}[1]`, "unknown extension function");
        const ext = extensionFunctions[name as keyof typeof extensionFunctions] as (...a: Value[]) => Value;
        const args = this.list(e[2] as unknown[], `${path}[2]`);
        if (args.length !== ext.length) fail(path, `\`${name}\` takes ${ext.length} argument(s)`);
        const a = args[0].fn;
        if (args.length === 1) return { fn: (r) => ext(a(r)), reads: either(...args) };
        const b = args[1].fn;
        return { fn: (r) => ext(a(r), b(r)), reads: either(...args) };
      }
    }
    // "fail": Cedar evaluates the arguments, then fails the call
    const message = e[1] as string;
    const fs = this.list(e[2] as unknown[], `${path}[2]`).map((x) => x.fn);
    return {
      fn: (r) => {
        for (const f of fs) f(r);
        return ops.fail(message);
      },
      reads: true,
    };
  }

  // Principal, resource and action scopes share one shape check; `action` allows `in` a list only
  scope(s: unknown, path: string, action: boolean): ScopeDef & ActionScopeDef {
    const o = (s ?? {}) as Record<string, unknown>;
    if (o.op === "All") return { op: "All" };
    if (o.op === "==" || (o.op === "in" && !action)) return { op: o.op, entity: this.uid(o.entity, `${path}.entity`) } as never;
    if (o.op === "in" && Array.isArray(o.entities)) return { op: "in", entities: o.entities.map((u, i) => this.uid(u, `${path}.entities[${i}]`)) } as never;
    if (o.op === "is" && !action) {
      const type = this.str(o.type, `${path}.type`);
      return (o.in === undefined ? { op: "is", type } : { op: "is", type, in: this.uid(o.in, `${path}.in`) }) as never;
    }
    return fail(path, "expected a scope");
  }

  condition(xs: unknown, path: string): ((r: RequestView) => boolean) | undefined {
    if (!Array.isArray(xs)) fail(path, "expected a list of conditions");
    const tests = (xs as unknown[]).map((x, i) => this.test(x, `${path}[${i}]`).fn);
    if (tests.length === 0) return undefined;
    if (tests.length === 1) return tests[0];
    return (r) => {
      for (const t of tests) if (!t(r)) return false;
      return true;
    };
  }
}

// The variable an operand is (`["var", v]`, already checked), else undefined
function varOf(e: unknown): unknown {
  return Array.isArray(e) && e[0] === "var" ? e[1] : undefined;
}

// For `name in OP` beside a direct read (see `ops.attrAt`)
const OP = ops.OP;

const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);

/**
 * Builds a policy set from its IR: static entities decoded and indexed as in a generated module,
 * each condition a tree of closures over the runtime operators.
 * @throws PolicyIrError naming the first malformed node.
 */
export function loadPolicyIr(ir: unknown): CompiledPolicySet {
  const p = (isRecord(ir) ? ir : fail("$", "expected an object")) as Record<string, unknown>;
  if (p.format !== POLICY_IR_FORMAT) fail("$.format", `expected \`${POLICY_IR_FORMAT}\``);
  if (p.formatVersion !== POLICY_IR_FORMAT_VERSION) fail("$.formatVersion", `expected ${POLICY_IR_FORMAT_VERSION}`);
  if (typeof p.version !== "string" || p.version === "") fail("$.version", "expected a non-empty string");
  if (p.onForbidError !== "skip" && p.onForbidError !== "deny") fail("$.onForbidError", "expected `skip` or `deny`");
  if (!Array.isArray(p.policies)) fail("$.policies", "expected a list of policies");
  const entities = readJsonIr(p.entities as never, "$.entities");
  if (!Array.isArray(entities)) fail("$.entities", "expected a list of entities");
  const b = new Builder();
  const ids = new Set<string>();
  const policies = (p.policies as unknown[]).map((x, i): PolicyDef => {
    const at = `$.policies[${i}]`;
    if (!isRecord(x)) fail(at, "expected an object");
    const q = x as Record<string, unknown>;
    const id = b.str(q.id, `${at}.id`);
    if (ids.has(id)) fail(`${at}.id`, `duplicate policy id \`${id}\``);
    ids.add(id);
    if (q.effect !== "permit" && q.effect !== "forbid") fail(`${at}.effect`, "expected `permit` or `forbid`");
    if (!isRecord(q.annotations) || !Object.values(q.annotations).every((v) => typeof v === "string")) fail(`${at}.annotations`, "expected string annotations");
    if (q.line !== undefined && !Number.isSafeInteger(q.line)) fail(`${at}.line`, "expected a line number");
    const def: PolicyDef = {
      id,
      cedarId: b.str(q.cedarId, `${at}.cedarId`),
      effect: q.effect as "permit" | "forbid",
      annotations: { ...(q.annotations as Record<string, string>) },
      principal: b.scope(q.principal, `${at}.principal`, false),
      action: b.scope(q.action, `${at}.action`, true),
      resource: b.scope(q.resource, `${at}.resource`, false),
    };
    if (q.file !== undefined) def.file = b.str(q.file, `${at}.file`);
    if (q.line !== undefined) def.line = q.line as number;
    const condition = b.condition(q.conditions, `${at}.conditions`);
    if (condition !== undefined) def.condition = condition;
    return def;
  });
  // Every condition was checked above, so the walk meets only well-formed nodes
  const contextAttributes = contextAttributesOf(p.policies as PolicyIrEntry[]);
  return definePolicySet({
    version: p.version as string,
    onForbidError: p.onForbidError as "skip" | "deny",
    entities: entities as EntityJson[],
    policies,
    contextAttributes: contextAttributes === null ? null : [...contextAttributes],
  });
}
