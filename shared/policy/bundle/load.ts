// Turns a policy IR into a policy set: every expression node becomes a closure over the runtime's
// own operators (`../ops.ts`), so a loaded bundle decides exactly as the generated module does.
// No `eval`, no `new Function`: workerd forbids both. Each node is checked as it is built, so a
// malformed IR fails here, at load, with the path of the node, never at decision time.
import { definePolicySet, type ActionScopeDef, type PolicyDef, type ScopeDef } from "../define.ts";
import { extensionFunctions, isExtensionFunction } from "../extensions.ts";
import * as ops from "../ops.ts";
import type { RequestView } from "../ops.ts";
import type { CompiledPolicySet, EntityJson } from "../types.ts";
import type { EntityUid, Value } from "../values.ts";
import { PolicyIrError } from "./errors.ts";
import { POLICY_IR_FORMAT, POLICY_IR_FORMAT_VERSION, type ExprIr, type PolicyIr, type PatternIr, type UidIr } from "./ir.ts";
import { readJsonIr } from "./json.ts";

type Fn = (r: RequestView) => Value;
type Test = (r: RequestView) => boolean;

interface Built {
  fn: Fn;
  /** Reads the request or the entity store: may not sit under `const`. */
  reads: boolean;
}

const VARS = new Set(["principal", "action", "resource", "context"]);
const BINARY: Readonly<Record<string, (a: Value, b: Value) => Value>> = {
  eq: ops.eq,
  lt: ops.lt,
  le: ops.le,
  gt: ops.gt,
  ge: ops.ge,
  add: ops.add,
  sub: ops.sub,
  mul: ops.mul,
  contains: ops.contains,
  containsAll: ops.containsAll,
  containsAny: ops.containsAny,
};
// Operations whose result is always a boolean (or an error), as in the compiler's `isBooleanExpr`
const BOOLEAN_OPS = new Set(["bool", "not", "eq", "ne", "lt", "le", "gt", "ge", "contains", "containsAll", "containsAny", "isEmpty", "and", "or", "in", "hasTag", "has", "like", "is"]);
const BOOLEAN_FUNCTIONS = new Set(["isIpv4", "isIpv6", "isLoopback", "isMulticast", "isInRange", "lessThan", "lessThanOrEqual", "greaterThan", "greaterThanOrEqual"]);

function yieldsBoolean(e: unknown): boolean {
  if (!Array.isArray(e)) return false;
  switch (e[0]) {
    case "lit":
      return typeof e[1] === "boolean";
    case "if":
      return yieldsBoolean(e[2]) && yieldsBoolean(e[3]);
    case "call":
      return BOOLEAN_FUNCTIONS.has(e[1] as string);
  }
  return BOOLEAN_OPS.has(e[0] as string);
}
// Never evaluated: `const` closures run once, at load, with no request
const NO_REQUEST = undefined as unknown as RequestView;

class Builder {
  private readonly uids = new Map<string, EntityUid>();

  uid(u: unknown, path: string): EntityUid {
    if (!Array.isArray(u) || u.length !== 2 || typeof u[0] !== "string" || typeof u[1] !== "string") throw new PolicyIrError(path, "expected an entity reference [type, id]");
    const key = u[0] + "\u0000" + u[1];
    let uid = this.uids.get(key);
    if (uid === undefined) {
      uid = ops.uid(u[0], u[1]);
      this.uids.set(key, uid);
    }
    return uid;
  }

  str(v: unknown, path: string, what: string): string {
    if (typeof v !== "string") throw new PolicyIrError(path, `expected ${what} as a string`);
    return v;
  }

  // A boolean operand. The compiler leaves operands that always yield a boolean unchecked and wraps
  // the rest in `bool`; anything else found here is checked too, so no IR can skip Cedar's type check.
  test(e: unknown, path: string): { fn: Test; reads: boolean } {
    const b = this.expr(e, path);
    if (yieldsBoolean(e)) return { fn: b.fn as Test, reads: b.reads };
    const f = b.fn;
    return { fn: (r) => ops.bool(f(r)), reads: b.reads };
  }

  list(xs: unknown, path: string): Built[] {
    if (!Array.isArray(xs)) throw new PolicyIrError(path, "expected a list of expressions");
    return xs.map((x, i) => this.expr(x, `${path}[${i}]`));
  }

  expr(e: unknown, path: string): Built {
    if (!Array.isArray(e) || typeof e[0] !== "string") throw new PolicyIrError(path, "expected an expression [op, ...]");
    const n = e as ExprIr;
    const op = n[0];
    const arity = (k: number): void => {
      if (e.length !== k) throw new PolicyIrError(path, `\`${op}\` takes ${k - 1} operand(s)`);
    };
    switch (n[0]) {
      case "lit": {
        arity(2);
        const v = n[1];
        if (typeof v === "number" ? !Number.isSafeInteger(v) : typeof v !== "boolean" && typeof v !== "string") throw new PolicyIrError(path, "expected a boolean, string or safe integer");
        return { fn: () => v, reads: false };
      }
      case "long": {
        arity(2);
        if (typeof n[1] !== "string" || !/^-?[0-9]{1,20}$/.test(n[1])) throw new PolicyIrError(path, "expected an integer in decimal digits");
        // embedded as is, like the generated module's `123n` literal
        const v = BigInt(n[1]);
        return { fn: () => v, reads: false };
      }
      case "uid": {
        arity(3);
        const v = this.uid([n[1], n[2]], path);
        return { fn: () => v, reads: false };
      }
      case "decode": {
        arity(2);
        const json = readJsonIr(n[1], `${path}[1]`);
        return { fn: () => ops.decode(json), reads: false };
      }
      case "const": {
        arity(2);
        const x = this.expr(n[1], `${path}[1]`);
        if (x.reads) throw new PolicyIrError(path, "a constant may not read the request");
        return { fn: ops.constant(() => x.fn(NO_REQUEST)), reads: false };
      }
      case "var": {
        arity(2);
        const v = n[1];
        if (!VARS.has(v)) throw new PolicyIrError(path, `unknown variable \`${String(v)}\``);
        if (v === "principal") return { fn: (r) => r.principal, reads: true };
        if (v === "action") return { fn: (r) => r.action, reads: true };
        if (v === "resource") return { fn: (r) => r.resource, reads: true };
        return { fn: (r) => r.context, reads: true };
      }
      case "bool": {
        arity(2);
        const x = this.expr(n[1], `${path}[1]`);
        const f = x.fn;
        return { fn: (r) => ops.bool(f(r)), reads: x.reads };
      }
      case "not": {
        arity(2);
        const x = this.test(n[1], `${path}[1]`);
        const f = x.fn;
        return { fn: (r) => !f(r), reads: x.reads };
      }
      case "neg":
      case "isEmpty": {
        arity(2);
        const x = this.expr(n[1], `${path}[1]`);
        const f = x.fn;
        const g = n[0] === "neg" ? ops.neg : ops.isEmpty;
        return { fn: (r) => g(f(r)), reads: x.reads };
      }
      case "and":
      case "or": {
        arity(3);
        const l = this.test(n[1], `${path}[1]`);
        const rt = this.test(n[2], `${path}[2]`);
        const f = l.fn;
        const g = rt.fn;
        return { fn: n[0] === "and" ? (r) => f(r) && g(r) : (r) => f(r) || g(r), reads: l.reads || rt.reads };
      }
      case "ne": {
        arity(3);
        const l = this.expr(n[1], `${path}[1]`);
        const rt = this.expr(n[2], `${path}[2]`);
        const f = l.fn;
        const g = rt.fn;
        return { fn: (r) => !ops.eq(f(r), g(r)), reads: l.reads || rt.reads };
      }
      case "in":
      case "getTag":
      case "hasTag": {
        arity(3);
        const l = this.expr(n[1], `${path}[1]`);
        const rt = this.expr(n[2], `${path}[2]`);
        const f = l.fn;
        const g = rt.fn;
        const h = n[0] === "in" ? ops.isIn : n[0] === "getTag" ? ops.getTag : ops.hasTag;
        return { fn: (r) => h(r, f(r), g(r)), reads: true };
      }
      case "attr":
      case "has": {
        arity(3);
        const x = this.expr(n[1], `${path}[1]`);
        const name = this.str(n[2], `${path}[2]`, "an attribute name");
        return { fn: attrAccess(n[0], x, name), reads: true };
      }
      case "like": {
        arity(3);
        const x = this.expr(n[1], `${path}[1]`);
        const p = ops.pattern(this.pattern(n[2], `${path}[2]`));
        const f = x.fn;
        return { fn: (r) => ops.like(f(r), p), reads: x.reads };
      }
      case "is": {
        arity(3);
        const x = this.expr(n[1], `${path}[1]`);
        const type = this.str(n[2], `${path}[2]`, "an entity type");
        const f = x.fn;
        return { fn: (r) => ops.is(f(r), type), reads: x.reads };
      }
      case "if": {
        arity(4);
        const c = this.test(n[1], `${path}[1]`);
        const t = this.expr(n[2], `${path}[2]`);
        const f = this.expr(n[3], `${path}[3]`);
        const cf = c.fn;
        const tf = t.fn;
        const ff = f.fn;
        return { fn: (r) => (cf(r) ? tf(r) : ff(r)), reads: c.reads || t.reads || f.reads };
      }
      case "set": {
        arity(2);
        const items = this.list(n[1], `${path}[1]`);
        const fs = items.map((x) => x.fn);
        return { fn: (r) => ops.makeSet(fs.map((f) => f(r))), reads: items.some((x) => x.reads) };
      }
      case "record": {
        arity(2);
        const entries = n[1];
        if (!Array.isArray(entries)) throw new PolicyIrError(`${path}[1]`, "expected a list of [name, expression] entries");
        const built = entries.map((en, i) => {
          if (!Array.isArray(en) || en.length !== 2) throw new PolicyIrError(`${path}[1][${i}]`, "expected a [name, expression] entry");
          return [this.str(en[0], `${path}[1][${i}][0]`, "an attribute name"), this.expr(en[1], `${path}[1][${i}][1]`)] as const;
        });
        return { fn: (r) => ops.makeRecord(built.map(([k, x]) => [k, x.fn(r)])), reads: built.some(([, x]) => x.reads) };
      }
      case "call": {
        arity(3);
        const name = this.str(n[1], `${path}[1]`, "a function name");
        if (!isExtensionFunction(name)) throw new PolicyIrError(`${path}[1]`, `unknown extension function \`${name}\``);
        const ext = extensionFunctions[name] as (...a: Value[]) => Value;
        const args = this.list(n[2], `${path}[2]`);
        if (args.length !== ext.length) throw new PolicyIrError(path, `\`${name}\` takes ${ext.length} argument(s)`);
        const reads = args.some((x) => x.reads);
        if (args.length === 1) {
          const a = args[0].fn;
          return { fn: (r) => ext(a(r)), reads };
        }
        const a = args[0].fn;
        const b = args[1].fn;
        return { fn: (r) => ext(a(r), b(r)), reads };
      }
      case "fail": {
        arity(3);
        const message = this.str(n[1], `${path}[1]`, "a message");
        const fs = this.list(n[2], `${path}[2]`).map((x) => x.fn);
        // Cedar evaluates the arguments, then fails the call
        return {
          fn: (r) => {
            for (const f of fs) f(r);
            return ops.fail(message);
          },
          reads: true,
        };
      }
    }
    const bin = BINARY[op];
    if (bin === undefined || !Object.hasOwn(BINARY, op)) throw new PolicyIrError(path, `unknown operation \`${op}\``);
    arity(3);
    const l = this.expr(n[1], `${path}[1]`);
    const rt = this.expr(n[2], `${path}[2]`);
    const f = l.fn;
    const g = rt.fn;
    return { fn: (r) => bin(f(r), g(r)), reads: l.reads || rt.reads };
  }

  pattern(p: unknown, path: string): PatternIr[] {
    if (!Array.isArray(p)) throw new PolicyIrError(path, "expected a `like` pattern");
    return p.map((x, i) => {
      if (x === "Wildcard") return x;
      if (x !== null && typeof x === "object" && typeof (x as { Literal?: unknown }).Literal === "string") return { Literal: (x as { Literal: string }).Literal };
      throw new PolicyIrError(`${path}[${i}]`, "expected `Wildcard` or `{ Literal }`");
    });
  }

  scope(s: unknown, path: string): ScopeDef {
    const o = (s ?? {}) as Record<string, unknown>;
    switch (o.op) {
      case "All":
        return { op: "All" };
      case "==":
      case "in":
        return { op: o.op, entity: this.uid(o.entity, `${path}.entity`) };
      case "is":
        return o.in === undefined ? { op: "is", type: this.str(o.type, `${path}.type`, "an entity type") } : { op: "is", type: this.str(o.type, `${path}.type`, "an entity type"), in: this.uid(o.in, `${path}.in`) };
    }
    throw new PolicyIrError(path, "expected a scope with op `All`, `==`, `in` or `is`");
  }

  actionScope(s: unknown, path: string): ActionScopeDef {
    const o = (s ?? {}) as Record<string, unknown>;
    switch (o.op) {
      case "All":
        return { op: "All" };
      case "==":
        return { op: "==", entity: this.uid(o.entity, `${path}.entity`) };
      case "in":
        if (!Array.isArray(o.entities)) throw new PolicyIrError(`${path}.entities`, "expected a list of entity references");
        return { op: "in", entities: o.entities.map((u, i) => this.uid(u as UidIr, `${path}.entities[${i}]`)) };
    }
    throw new PolicyIrError(path, "expected an action scope with op `All`, `==` or `in`");
  }

  condition(xs: unknown, path: string): ((r: RequestView) => boolean) | undefined {
    if (!Array.isArray(xs)) throw new PolicyIrError(path, "expected a list of conditions");
    const tests = xs.map((x, i) => this.test(x, `${path}[${i}]`).fn);
    if (tests.length === 0) return undefined;
    if (tests.length === 1) return tests[0];
    if (tests.length === 2) {
      const [a, b] = tests;
      return (r) => a(r) && b(r);
    }
    return (r) => {
      for (const t of tests) if (!t(r)) return false;
      return true;
    };
  }
}

// `.` and `has` on the common operands (a variable) without a second closure call
function attrAccess(kind: "attr" | "has", x: Built, name: string): Fn {
  const f = x.fn;
  if (kind === "has") return (r) => ops.has(r, f(r), name);
  return (r) => ops.attr(r, f(r), name);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/**
 * Builds a policy set from its IR: static entities decoded and indexed as in a generated module,
 * each condition a tree of closures over the runtime operators.
 * @throws PolicyIrError naming the first malformed node.
 */
export function loadPolicyIr(ir: unknown): CompiledPolicySet {
  if (!isRecord(ir)) throw new PolicyIrError("$", "expected an object");
  if (ir.format !== POLICY_IR_FORMAT) throw new PolicyIrError("$.format", `expected \`${POLICY_IR_FORMAT}\``);
  if (ir.formatVersion !== POLICY_IR_FORMAT_VERSION) throw new PolicyIrError("$.formatVersion", `expected ${POLICY_IR_FORMAT_VERSION}`);
  const p = ir as unknown as PolicyIr;
  if (typeof p.version !== "string" || p.version === "") throw new PolicyIrError("$.version", "expected a non-empty string");
  if (p.onForbidError !== "skip" && p.onForbidError !== "deny") throw new PolicyIrError("$.onForbidError", "expected `skip` or `deny`");
  if (!Array.isArray(p.policies)) throw new PolicyIrError("$.policies", "expected a list of policies");
  const entities = readJsonIr(p.entities, "$.entities");
  if (!Array.isArray(entities)) throw new PolicyIrError("$.entities", "expected a list of entities");
  const b = new Builder();
  const ids = new Set<string>();
  const policies = p.policies.map((x, i): PolicyDef => {
    const at = `$.policies[${i}]`;
    if (!isRecord(x)) throw new PolicyIrError(at, "expected an object");
    const id = b.str(x.id, `${at}.id`, "an id");
    if (ids.has(id)) throw new PolicyIrError(`${at}.id`, `duplicate policy id \`${id}\``);
    ids.add(id);
    if (x.effect !== "permit" && x.effect !== "forbid") throw new PolicyIrError(`${at}.effect`, "expected `permit` or `forbid`");
    if (!isRecord(x.annotations) || !Object.values(x.annotations).every((v) => typeof v === "string")) throw new PolicyIrError(`${at}.annotations`, "expected string annotations");
    const def: PolicyDef = {
      id,
      cedarId: b.str(x.cedarId, `${at}.cedarId`, "a Cedar id"),
      effect: x.effect,
      annotations: { ...(x.annotations as Record<string, string>) },
      principal: b.scope(x.principal, `${at}.principal`),
      action: b.actionScope(x.action, `${at}.action`),
      resource: b.scope(x.resource, `${at}.resource`),
    };
    if (x.file !== undefined) def.file = b.str(x.file, `${at}.file`, "a file name");
    if (x.line !== undefined) {
      if (typeof x.line !== "number" || !Number.isSafeInteger(x.line)) throw new PolicyIrError(`${at}.line`, "expected a line number");
      def.line = x.line;
    }
    const condition = b.condition(x.conditions, `${at}.conditions`);
    if (condition !== undefined) def.condition = condition;
    return def;
  });
  return definePolicySet({ version: p.version, onForbidError: p.onForbidError, entities: entities as EntityJson[], policies });
}
