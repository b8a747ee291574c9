import type { RouteMatch, RouteNode, RouteTable } from "./types.ts";

/**
 * Finds the route for a method and a normalised path (`normalizePath(...).segments`), or `null`.
 * At each segment a literal is tried before a parameter, and a parameter before `*`, so the most
 * specific pattern wins whatever the order of the route file. Literals compare case-sensitively.
 */
export function matchRoute(table: RouteTable, method: string, segments: readonly string[]): RouteMatch | null {
  const root = table.trees.get(method);
  if (root === undefined) return null;
  const params: string[] = [];
  const route = walk(root, segments, 0, params);
  return route === null ? null : { route, params };
}

// Depth-first with backtracking; `params` holds the values captured along the current branch
function walk(node: RouteNode, segments: readonly string[], index: number, params: string[]): RouteMatch["route"] | null {
  if (index === segments.length) return node.route;
  const segment = segments[index];
  const literal = node.literals.get(segment);
  if (literal !== undefined) {
    const found = walk(literal, segments, index + 1, params);
    if (found !== null) return found;
  }
  if (node.param !== null) {
    params.push(segment);
    const found = walk(node.param, segments, index + 1, params);
    if (found !== null) return found;
    params.pop();
  }
  return node.wildcard;
}
