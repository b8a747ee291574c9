import { expectObject, refuseUnknownOptions } from "../config/fields.ts";
import { ConfigError, describeValue } from "../errors.ts";
import type { CompiledRoute, RouteNode, RouteTable, SenderConstraint, Template } from "./types.ts";

const METHOD = /^[A-Z][A-Z-]{0,19}$/;
const PARAM = /^:([A-Za-z_][A-Za-z0-9_]{0,63})$/;
// RFC 3986 pchar without `%` (literals are compared with decoded segments, so an escape could never match) and without `:`/`*` at the start
const LITERAL = /^[A-Za-z0-9\-._~!$&'()+,;=@][A-Za-z0-9\-._~!$&'()*+,;=:@]*$/;
const ENTITY_TYPE = /^[A-Za-z_][A-Za-z0-9_]*(::[A-Za-z_][A-Za-z0-9_]*)*$/;
const ROUTE_FIELDS = ["method", "path", "name", "public", "action", "resource", "senderConstraint"];
const RESOURCE_FIELDS = ["type", "id", "attrs"];

/**
 * Checks a route file (`{ routes: [...] }`, or the array alone) and builds its lookup trees.
 * Throws `ConfigError` naming the route (`routes[3].path`) and what was expected. Run once at start;
 * the caller's object is only read.
 */
export function compileRoutes(spec: unknown, field = "routes"): RouteTable {
  // `{ routes: [...] }` (the route file) and the bare array are both accepted; fields are named `routes[i]` either way
  const list = typeof spec === "object" && spec !== null && !Array.isArray(spec) ? (spec as { routes?: unknown }).routes : spec;
  const listField = field;
  if (!Array.isArray(list)) throw new ConfigError(listField, `expected an array of routes, got ${describeValue(list)}`);
  const routes: CompiledRoute[] = [];
  const trees = new Map<string, RouteNode>();
  const names = new Set<string>();
  list.forEach((entry: unknown, index: number) => {
    const at = `${listField}[${index}]`;
    const route = compileRoute(entry, at);
    if (names.has(route.name)) throw new ConfigError(`${at}.name`, `expected a unique route name, got \`${route.name}\` twice`);
    names.add(route.name);
    insert(trees, route, at);
    routes.push(route);
  });
  return Object.freeze({ routes: Object.freeze(routes), trees });
}

function compileRoute(entry: unknown, at: string): CompiledRoute {
  const record = expectObject(entry, at, "a route object");
  refuseUnknownOptions(record, at, ROUTE_FIELDS, { annotations: true });
  const method = record.method;
  if (typeof method !== "string" || !METHOD.test(method)) throw new ConfigError(`${at}.method`, `expected an upper-case http method such as \`GET\`, got ${describeValue(method)}`);
  const pattern = record.path;
  if (typeof pattern !== "string") throw new ConfigError(`${at}.path`, `expected a path pattern such as \`/orders/:id\`, got ${describeValue(pattern)}`);
  const paramNames = parsePattern(pattern, `${at}.path`);
  const isPublic = record.public ?? false;
  if (typeof isPublic !== "boolean") throw new ConfigError(`${at}.public`, `expected \`true\` or \`false\`, got ${describeValue(isPublic)}`);
  const name = record.name ?? `${method} ${pattern}`;
  if (typeof name !== "string" || name.length === 0 || name.length > 200) throw new ConfigError(`${at}.name`, `expected a non-empty string of at most 200 characters, got ${describeValue(name)}`);
  const senderConstraint = record.senderConstraint ?? null;
  if (senderConstraint !== null && senderConstraint !== "dpop" && senderConstraint !== "mtls") {
    throw new ConfigError(`${at}.senderConstraint`, `expected \`dpop\` or \`mtls\`, got ${describeValue(senderConstraint)}`);
  }
  if (isPublic) {
    if (record.action !== undefined || record.resource !== undefined) {
      throw new ConfigError(`${at}.${record.action !== undefined ? "action" : "resource"}`, "expected no action or resource on a public route");
    }
    // A public route reads no token, so there is nothing to be bound
    if (senderConstraint !== null) throw new ConfigError(`${at}.senderConstraint`, "expected no sender constraint on a public route");
    return Object.freeze({ name, method, pattern, public: true, paramNames, action: null, resource: null, senderConstraint: null });
  }
  const action = record.action;
  if (typeof action !== "string" || action.length === 0) throw new ConfigError(`${at}.action`, `expected a cedar action id such as \`ReadOrder\` (or \`public: true\`), got ${describeValue(action)}`);
  const resource = compileResource(record.resource, `${at}.resource`, paramNames);
  return Object.freeze({ name, method, pattern, public: false, paramNames, action: Object.freeze({ type: "Action" as const, id: action }), resource, senderConstraint: senderConstraint as SenderConstraint | null });
}

function parsePattern(pattern: string, at: string): string[] {
  if (pattern.length === 0 || pattern[0] !== "/" || pattern.length > 1024) throw new ConfigError(at, `expected a pattern starting with \`/\`, got ${describeValue(pattern)}`);
  const paramNames: string[] = [];
  if (pattern === "/") return paramNames;
  const parts = pattern.slice(1).split("/");
  parts.forEach((part, i) => {
    const param = PARAM.exec(part);
    if (param) {
      if (paramNames.includes(param[1])) throw new ConfigError(at, `expected unique parameter names, got \`:${param[1]}\` twice in \`${pattern}\``);
      paramNames.push(param[1]);
    } else if (part === "*") {
      if (i !== parts.length - 1) throw new ConfigError(at, `expected \`*\` only as the last segment, got \`${pattern}\``);
    } else if (!LITERAL.test(part) || part === "." || part === "..") {
      throw new ConfigError(at, `expected segments that are literals, \`:name\` or a final \`*\`, got \`${part}\` in \`${pattern}\``);
    }
  });
  return paramNames;
}

function compileResource(value: unknown, at: string, paramNames: readonly string[]): NonNullable<CompiledRoute["resource"]> {
  const record = expectObject(value, at, "a resource `{ type, id, attrs? }`");
  refuseUnknownOptions(record, at, RESOURCE_FIELDS);
  if (typeof record.type !== "string" || !ENTITY_TYPE.test(record.type)) throw new ConfigError(`${at}.type`, `expected a cedar entity type such as \`Order\`, got ${describeValue(record.type)}`);
  if (typeof record.id !== "string") throw new ConfigError(`${at}.id`, `expected an id template such as \`{tenant}/{id}\`, got ${describeValue(record.id)}`);
  const id = compileTemplate(record.id, `${at}.id`, paramNames);
  const attrs: (readonly [string, Template])[] = [];
  if (record.attrs !== undefined) {
    for (const [name, template] of Object.entries(expectObject(record.attrs, `${at}.attrs`, "an object of string templates"))) {
      if (typeof template !== "string") throw new ConfigError(`${at}.attrs.${name}`, `expected a string template, got ${describeValue(template)}`);
      attrs.push(Object.freeze([name, compileTemplate(template, `${at}.attrs.${name}`, paramNames)] as const));
    }
  }
  return Object.freeze({ type: record.type, id, attrs: Object.freeze(attrs) });
}

function compileTemplate(template: string, at: string, paramNames: readonly string[]): Template {
  const parts: (string | number)[] = [];
  let last = 0;
  for (const found of template.matchAll(/\{([^{}]*)\}/g)) {
    const index = paramNames.indexOf(found[1]);
    if (index === -1) throw new ConfigError(at, `expected \`{name}\` to name a path parameter (${paramNames.map((p) => `\`${p}\``).join(", ") || "none"}), got \`{${found[1]}}\``);
    if (found.index > last) parts.push(template.slice(last, found.index));
    parts.push(index);
    last = found.index + found[0].length;
  }
  if (last < template.length) parts.push(template.slice(last));
  if (parts.some((part) => typeof part === "string" && /[{}]/.test(part))) throw new ConfigError(at, `expected balanced \`{name}\` placeholders, got \`${template}\``);
  return Object.freeze(parts);
}

function insert(trees: Map<string, RouteNode>, route: CompiledRoute, at: string): void {
  let node = trees.get(route.method);
  if (node === undefined) trees.set(route.method, (node = newNode()));
  const parts = route.pattern === "/" ? [] : route.pattern.slice(1).split("/");
  for (const part of parts) {
    if (part === "*") {
      if (node.wildcard) throw duplicate(at, route, node.wildcard);
      node.wildcard = route;
      return;
    }
    if (part[0] === ":") {
      node = node.param ?? (node.param = newNode());
    } else {
      let next = node.literals.get(part);
      if (next === undefined) node.literals.set(part, (next = newNode()));
      node = next;
    }
  }
  if (node.route) throw duplicate(at, route, node.route);
  node.route = route;
}

function duplicate(at: string, route: CompiledRoute, existing: CompiledRoute): ConfigError {
  return new ConfigError(`${at}.path`, `expected one route per method and path shape, got \`${route.method} ${route.pattern}\` and \`${existing.method} ${existing.pattern}\``);
}

function newNode(): RouteNode {
  return { literals: new Map(), param: null, route: null, wildcard: null };
}
