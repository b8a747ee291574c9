// Gatehouse policy compiler: Cedar policies → an ES module over the shared/policy runtime.
export { compilePolicies, compilePolicyProject, irFileFor, RUNTIME_ENTRY } from "./compile.ts";
export { generateIr } from "./ir.ts";
export type { CompilePoliciesOptions, CompileProjectOptions, CompileResult, IdMode } from "./compile.ts";
export { PolicyCompileError, formatDiagnostic } from "./errors.ts";
export type { Diagnostic } from "./errors.ts";
export { generateModule, GenerateError } from "./generate.ts";
export type { GenerateInput, GeneratePolicy } from "./generate.ts";
export { parseJsonLossless, toJsLiteral } from "./json.ts";
export { loadPolicyModule, loadPolicyModules } from "./load.ts";
export { parsePolicySources, lineColumnAt } from "./parse.ts";
export type { ParsedPolicy, PolicySource } from "./parse.ts";
export { validatePolicies, validateEntities, schemaActionEntities } from "./validate.ts";
export type { SchemaSource } from "./validate.ts";
