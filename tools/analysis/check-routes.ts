import { actionsCovered, scopeAdmitsType } from "./policy-facts.ts";
import { actionKey, readSchema, type SchemaModel } from "./schema.ts";
import type { Finding, PolicyProject } from "./types.ts";

/**
 * Route and action analysis: routes that no policy can permit (they always deny), routes naming an
 * action or resource type the schema does not have, policies whose actions no route maps to (they
 * never apply), and schema actions nothing uses. The scope-level reading is conservative: a route
 * counts as permittable when some permit's scope admits its action and resource type, whatever
 * the policy's conditions say.
 */
export function checkRoutes(project: PolicyProject, model: SchemaModel = readSchema(project.schema)): Finding[] {
  const findings: Finding[] = [];
  const routed = new Set<string>();
  const covered = project.policies.map((policy) => ({ policy, actions: actionsCovered(policy.json, model) }));

  for (const route of project.routes.routes) {
    if (route.action === null || route.resource === null) continue;
    const key = actionKey(route.action.type, route.action.id);
    routed.add(key);
    const action = model.actions.get(key);
    if (action === undefined) {
      findings.push({ code: "route_action_unknown", severity: "error", message: `route \`${route.name}\` maps to action \`${route.action.id}\`, which the schema does not declare`, route: route.name });
      continue;
    }
    const resourceType = route.resource.type;
    if (!action.resourceTypes.includes(resourceType)) {
      findings.push({
        code: "route_resource_mismatch",
        severity: "error",
        message: `route \`${route.name}\` builds a \`${resourceType}\` resource, but action \`${action.id}\` applies to ${action.resourceTypes.map((t) => `\`${t}\``).join(", ") || "no resource type"}`,
        route: route.name,
      });
    }
    const permittable = covered.some(
      ({ policy, actions }) =>
        policy.effect === "permit" &&
        (actions === "all" || actions.has(key)) &&
        scopeAdmitsType(policy.json.resource, resourceType) &&
        action.principalTypes.some((type) => scopeAdmitsType(policy.json.principal, type)),
    );
    if (!permittable) {
      findings.push({ code: "route_never_permitted", severity: "warning", message: `route \`${route.name}\` (action \`${action.id}\`) is denied for everyone: no permit policy applies to it`, route: route.name });
    }
  }

  const named = new Set<string>();
  for (const { policy, actions } of covered) {
    if (actions === "all") continue;
    for (const key of actions) named.add(key);
    if (![...actions].some((key) => routed.has(key))) {
      findings.push({
        code: "policy_action_unrouted",
        severity: "warning",
        message: `policy \`${policy.id}\` never applies: no route maps to its action${actions.size === 1 ? "" : "s"} ${[...actions].map(showKey).join(", ")}`,
        policy: policy.id,
        file: policy.file,
        line: policy.line,
      });
    }
  }

  for (const action of model.actions.values()) {
    if (routed.has(action.key) || named.has(action.key)) continue;
    if ([...model.actions.values()].some((other) => other.groups.has(action.key))) continue; // an action group
    findings.push({ code: "action_unused", severity: "warning", message: `schema action \`${action.id}\` is unused: no route maps to it and no policy names it` });
  }
  return findings;
}

function showKey(key: string): string {
  return `\`${key.replace(/^Action::"(.*)"$/, "$1")}\``;
}
