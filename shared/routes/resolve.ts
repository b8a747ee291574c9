import type { RouteMatch, Template } from "./types.ts";

/** A Cedar entity reference in Cedar's JSON form. */
export interface EntityRef {
  readonly type: string;
  readonly id: string;
}

/** The Cedar action and resource a matched route stands for, and the resource entity (Cedar JSON entity format). */
export interface ResolvedRequest {
  readonly action: EntityRef;
  readonly resource: EntityRef;
  readonly resourceEntity: {
    readonly uid: EntityRef;
    readonly attrs: Record<string, string>;
    readonly parents: readonly EntityRef[];
  };
}

const NO_PARENTS: readonly EntityRef[] = Object.freeze([]);

/**
 * Fills a protected route's resource templates with the matched path parameters. Returns `null`
 * for a public route, which has no action or resource.
 */
export function resolveRequest(match: RouteMatch): ResolvedRequest | null {
  const { route, params } = match;
  if (route.action === null || route.resource === null) return null;
  const resource: EntityRef = { type: route.resource.type, id: fill(route.resource.id, params) };
  const attrs: Record<string, string> = {};
  // Index loops: this runs per request, and iterator objects are allocations (#22)
  const templates = route.resource.attrs;
  for (let i = 0; i < templates.length; i++) attrs[templates[i][0]] = fill(templates[i][1], params);
  return { action: route.action, resource, resourceEntity: { uid: resource, attrs, parents: NO_PARENTS } };
}

function fill(template: Template, params: readonly string[]): string {
  if (template.length === 1) {
    const only = template[0];
    return typeof only === "number" ? params[only] : only;
  }
  let out = "";
  for (let i = 0; i < template.length; i++) {
    const part = template[i];
    out += typeof part === "number" ? params[part] : part;
  }
  return out;
}
