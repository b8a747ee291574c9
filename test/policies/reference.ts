// A deliberately plain reading of the example policy project, evaluated with cedar-wasm. It is the
// reference the compiled pipeline is compared against; it shares no code with shared/ on purpose.
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { parse as parseYaml } from "yaml";
import * as cedar from "@cedar-policy/cedar-wasm/nodejs";

export interface PolicyCase {
  name: string;
  claims?: Record<string, unknown>;
  request: string;
  context?: Record<string, unknown>;
  expect: "allow" | "deny";
  policies?: string[];
  /** The entity store's records for this case (Cedar JSON), and the reason a case expects. */
  liveEntities?: cedar.EntityJson[];
  reason?: string;
}

export interface RouteSpec {
  method: string;
  path: string;
  public?: boolean;
  action?: string;
  resource?: { type: string; id: string; attrs?: Record<string, string> };
}

export interface PolicyProject {
  dir: string;
  schema: string;
  /** Policy text keyed by its `@id`. */
  policies: Record<string, string>;
  entities: cedar.EntityJson[];
  routes: RouteSpec[];
  cases: PolicyCase[];
}

export function loadPolicyProject(dir: string): PolicyProject {
  const text = readdirSync(dir)
    .filter((file) => file.endsWith(".cedar"))
    .sort()
    .map((file) => readFileSync(join(dir, file), "utf8"))
    .join("\n");
  const parts = cedar.policySetTextToParts(text);
  if (parts.type !== "success") throw new Error(parts.errors.map((e) => e.message).join("; "));
  const policies: Record<string, string> = {};
  for (const policy of parts.policies) {
    const id = /@id\("([^"]+)"\)/.exec(policy)?.[1];
    if (!id) throw new Error(`example policy without @id: ${policy.slice(0, 60)}`);
    policies[id] = policy;
  }
  const suites = readdirSync(join(dir, "tests")).filter((file) => file.endsWith(".yaml"));
  const cases: PolicyCase[] = [];
  for (const suite of suites) {
    const doc = parseYaml(readFileSync(join(dir, "tests", suite), "utf8")) as {
      defaults?: { claims?: Record<string, unknown> };
      cases: PolicyCase[];
    };
    for (const c of doc.cases) {
      cases.push({ ...c, claims: c.claims ? { ...doc.defaults?.claims, ...c.claims } : undefined });
    }
  }
  return {
    dir,
    schema: readFileSync(join(dir, "schema.cedarschema"), "utf8"),
    policies,
    entities: JSON.parse(readFileSync(join(dir, "entities.json"), "utf8")),
    routes: JSON.parse(readFileSync(join(dir, "routes.json"), "utf8")).routes,
    cases,
  };
}

export function matchRouteForReference(routes: RouteSpec[], method: string, path: string) {
  const segments = path.split("/").slice(1);
  for (const route of routes) {
    if (route.method !== method) continue;
    const pattern = route.path.split("/").slice(1);
    if (pattern.length !== segments.length) continue;
    const params: Record<string, string> = {};
    const ok = pattern.every((part, i) => {
      if (part.startsWith(":")) {
        params[part.slice(1)] = segments[i];
        return segments[i] !== "";
      }
      return part === segments[i];
    });
    if (ok) return { route, params };
  }
  return undefined;
}

const fill = (template: string, params: Record<string, string>) =>
  template.replace(/\{(\w+)\}/g, (_, name: string) => params[name] ?? "");

/** Decides one case with cedar-wasm: `{decision, reasons}`, or the route outcome for public/unmapped paths. */
export function decideWithCedarWasm(project: PolicyProject, testCase: PolicyCase) {
  const [method, path] = testCase.request.split(" ");
  const match = matchRouteForReference(project.routes, method, path);
  if (!match) return { decision: "deny" as const, reasons: [] as string[], route: undefined };
  if (match.route.public) return { decision: "allow" as const, reasons: [] as string[], route: match.route };
  const claims = testCase.claims ?? {};
  const principal = { type: "User", id: String(claims.sub) };
  const resourceSpec = match.route.resource!;
  const resource = { type: resourceSpec.type, id: fill(resourceSpec.id, match.params) };
  const resourceAttrs = Object.fromEntries(
    Object.entries(resourceSpec.attrs ?? {}).map(([name, template]) => [name, fill(template, match.params)]),
  );
  const scopes = typeof claims.scope === "string" ? claims.scope.split(" ").filter(Boolean) : [];
  let principalEntity: cedar.EntityJson = {
    uid: principal,
    attrs: { tenant: String(claims.tenant ?? ""), suspended: claims.suspended === true },
    parents: ((claims.groups as string[] | undefined) ?? []).map((group) => ({ type: "Role", id: group })),
  };
  let resourceEntity: cedar.EntityJson = { uid: resource, attrs: resourceAttrs, parents: [] };
  // #17, read plainly: a live record's attributes win over the token's and the path's, its parents replace theirs
  const others: cedar.EntityJson[] = [];
  for (const record of testCase.liveEntities ?? []) {
    const uid = record.uid as { type: string; id: string };
    const over = (base: cedar.EntityJson): cedar.EntityJson => ({ uid: base.uid, attrs: { ...base.attrs, ...record.attrs }, parents: record.parents ?? base.parents });
    if (uid.type === principal.type && uid.id === principal.id) principalEntity = over(principalEntity);
    else if (uid.type === resource.type && uid.id === resource.id) resourceEntity = over(resourceEntity);
    else others.push(record);
  }
  const entities: cedar.EntityJson[] = [...project.entities, ...others, principalEntity, resourceEntity];
  // Cedar checks the entities against the schema; a record it refuses is a deny (`entity_invalid`)
  if (testCase.liveEntities !== undefined && cedar.checkParseEntities({ entities, schema: project.schema }).type !== "success") {
    return { decision: "deny" as const, reasons: [] as string[], route: match.route, invalid: true };
  }
  const answer = cedar.isAuthorized({
    principal,
    action: { type: "Action", id: match.route.action! },
    resource,
    context: { scopes, amr: (claims.amr as string[] | undefined) ?? [], ...testCase.context },
    schema: project.schema,
    validateRequest: true,
    policies: { staticPolicies: project.policies },
    entities,
  });
  if (answer.type !== "success") throw new Error(answer.errors.map((e) => e.message).join("; "));
  if (answer.response.diagnostics.errors.length > 0) {
    throw new Error(`policy errors: ${JSON.stringify(answer.response.diagnostics.errors)}`);
  }
  return {
    decision: answer.response.decision,
    reasons: [...answer.response.diagnostics.reason].sort(),
    route: match.route,
  };
}
