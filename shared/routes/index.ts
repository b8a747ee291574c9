// Routes: path normalisation, the route table and request mapping (route → Cedar action and resource).
export { normalizePath, DEFAULT_PATH_LIMITS, type PathLimits, type NormalizedPath, type PathRefusal } from "./normalize.ts";
export { compileRoutes } from "./compile.ts";
export { matchRoute } from "./match.ts";
export { resolveRequest, type EntityRef, type ResolvedRequest } from "./resolve.ts";
export type { PathRefusalReason, RouteFailureReason } from "./reasons.ts";
export type { RouteSpec, ResourceSpec, RoutesFile, CompiledRoute, RouteTable, RouteMatch, SenderConstraint, Template } from "./types.ts";
