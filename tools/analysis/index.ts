// Build-time analysis of a policy project: loading it with file:line, the typed claims-mapping
// check against the schema, and route/action analysis.
export { loadProject, formatDiagnostic, toDiagnostic, PROJECT_FILES, type LoadProjectResult } from "./load-project.ts";
export { analyzeProject, formatFinding } from "./analyze.ts";
export { checkClaimsMapping, type AnalysisOptions, type NamedMapping } from "./check-claims.ts";
export { checkRoutes } from "./check-routes.ts";
export { contextSupply, type ContextSupply, type SupplyPresence } from "./context-supply.ts";
export { readSchema, showType, actionKey, type SchemaModel, type SchemaType, type SchemaAttribute, type SchemaEntityType, type SchemaAction } from "./schema.ts";
export type { Finding, FindingCode, FindingSeverity, PolicyProject, PolicySource, ProjectDiagnostic, SourcePosition } from "./types.ts";
