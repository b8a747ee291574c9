import { checkClaimsMapping, type AnalysisOptions, type NamedMapping } from "./check-claims.ts";
import { checkRoutes } from "./check-routes.ts";
import { readSchema } from "./schema.ts";
import type { Finding, PolicyProject } from "./types.ts";

/** Every build-time check on a loaded project: the typed claims mapping, then routes and actions. */
export function analyzeProject(project: PolicyProject, mappings: readonly NamedMapping[], options: AnalysisOptions = {}): Finding[] {
  const model = readSchema(project.schema);
  return [...checkClaimsMapping(project, mappings, options, model), ...checkRoutes(project, model)];
}

/** A finding as one line: `file:line: warning: message [code]`. */
export function formatFinding(finding: Finding): string {
  const where = finding.file === undefined ? "" : `${finding.file}:${finding.line ?? 1}: `;
  return `${where}${finding.severity}: ${finding.message} [${finding.code}]`;
}
