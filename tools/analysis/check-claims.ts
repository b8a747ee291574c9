import type { ResolvedClaimsMapping } from "../../shared/token/index.ts";
import { contextSupply } from "./context-supply.ts";
import { readsOf } from "./policy-facts.ts";
import { readSchema, showType, type SchemaAttribute, type SchemaModel, type SchemaType } from "./schema.ts";
import type { Finding, PolicyProject, PolicySource } from "./types.ts";

/** One issuer's claims mapping, labelled for messages. */
export interface NamedMapping {
  /** The issuer (`iss`) or its name; `default` for the built-in mapping. */
  readonly issuer: string;
  readonly mapping: ResolvedClaimsMapping;
}

/** What the analysis knows of the deployment besides the claims mappings. */
export interface AnalysisOptions {
  /** Header names the config copies into `context.headers`; default none (no `context.headers`). */
  readonly contextHeaders?: readonly string[];
}

// The Cedar type each mapping value type produces (see `ClaimValueType`)
const MAPPED_TYPE: Record<string, string> = { string: "String", boolean: "Bool", long: "Long", string_set: "Set<String>" };

/**
 * The typed claims check: for every principal attribute and context field a policy reads, can the
 * issuer's claims mapping (and the pipeline) supply it, with the schema's type? Errors name the
 * claim, the attribute and the first policy that needs it.
 */
export function checkClaimsMapping(project: PolicyProject, mappings: readonly NamedMapping[], options: AnalysisOptions = {}, model: SchemaModel = readSchema(project.schema)): Finding[] {
  const findings: Finding[] = [];
  const principalReads = new Map<string, PolicySource>();
  const contextReads = new Map<string, PolicySource>();
  for (const policy of project.policies) {
    const reads = readsOf(policy.json);
    for (const attr of reads.principal) if (!principalReads.has(attr)) principalReads.set(attr, policy);
    for (const field of reads.context) if (!contextReads.has(field)) contextReads.set(field, policy);
  }
  const principalTypes = new Set([...model.actions.values()].flatMap((a) => a.principalTypes));
  const contextFields = mergedContext(model);

  for (const { issuer, mapping } of mappings) {
    const at = (policy: PolicySource) => ({ policy: policy.id, file: policy.file, line: policy.line, issuer });
    const entityType = model.entityTypes.get(mapping.principalType);
    if (!principalTypes.has(mapping.principalType)) {
      findings.push({
        code: "principal_type_mismatch",
        severity: "error",
        message: `issuer \`${issuer}\` maps tokens to principal type \`${mapping.principalType}\`, but the schema's actions accept ${list([...principalTypes])}`,
        issuer,
      });
    }
    if (mapping.parents !== null && entityType !== undefined && !entityType.memberOf.includes(mapping.parents.entityType)) {
      findings.push({
        code: "parent_type_mismatch",
        severity: "warning",
        message: `issuer \`${issuer}\` makes claim \`${mapping.parents.path.join(".")}\` parents of type \`${mapping.parents.entityType}\`, but the schema lets \`${mapping.principalType}\` be in ${list(entityType.memberOf)}`,
        claim: mapping.parents.path.join("."),
        issuer,
      });
    }

    if (entityType !== undefined) {
      for (const [name, policy] of principalReads) {
        const wanted = entityType.attributes.get(name);
        if (wanted === undefined) continue; // the schema validator reports unknown attributes
        const supplied = mapping.attributes.find((a) => a.name === name);
        const attribute = `principal.${name}`;
        if (supplied === undefined) {
          findings.push({
            code: wanted.required ? "claim_missing" : "claim_never_supplied",
            severity: wanted.required ? "error" : "warning",
            message: `policy \`${policy.id}\` reads \`${attribute}\` (${describe(wanted)}), but the claims mapping of issuer \`${issuer}\` supplies no claim for it: add \`claims.attributes.${name}\``,
            attribute,
            ...at(policy),
          });
          continue;
        }
        const claim = supplied.path.join(".");
        if (MAPPED_TYPE[supplied.type] !== showType(wanted.type)) {
          findings.push({
            code: "claim_type_mismatch",
            severity: "error",
            message: `policy \`${policy.id}\` reads \`${attribute}\` as ${showType(wanted.type)}, but issuer \`${issuer}\` maps claim \`${claim}\` to it as ${supplied.type} (${MAPPED_TYPE[supplied.type]})`,
            attribute,
            claim,
            ...at(policy),
          });
        }
      }
    }

    const supply = contextSupply(mapping, options.contextHeaders);
    for (const [name, policy] of contextReads) {
      const wanted = contextFields.get(name);
      if (wanted === undefined) continue;
      const attribute = `context.${name}`;
      const given = supply.get(name);
      if (given === undefined) {
        findings.push({
          code: "context_missing",
          severity: wanted.required ? "error" : "warning",
          message: `policy \`${policy.id}\` reads \`${attribute}\` (${describe(wanted)}), but the pipeline does not supply it${name === "amr" || name === "acr" ? ` (issuer \`${issuer}\` sets \`claims.${name}Claim\` to null)` : ""}`,
          attribute,
          ...at(policy),
        });
        continue;
      }
      if (given.type !== "Record" && given.type !== showType(wanted.type)) {
        findings.push({
          code: "context_type_mismatch",
          severity: "error",
          message: `policy \`${policy.id}\` reads \`${attribute}\` as ${showType(wanted.type)}, but the pipeline supplies ${given.type} from ${given.source}`,
          attribute,
          ...at(policy),
        });
      } else if (wanted.required && given.presence === "sometimes") {
        findings.push({
          code: "context_may_be_absent",
          severity: "warning",
          message: `policy \`${policy.id}\` reads \`${attribute}\`, which the schema requires, but the pipeline supplies it only when known (${given.source}): declare it optional (\`${name}?\`) and test \`context has ${name}\``,
          attribute,
          ...at(policy),
        });
      }
    }
  }
  return findings;
}

// A field is required when any action that declares it requires it
function mergedContext(model: SchemaModel): Map<string, SchemaAttribute> {
  const out = new Map<string, SchemaAttribute>();
  for (const action of model.actions.values()) {
    for (const [name, attr] of action.context) {
      const seen = out.get(name);
      if (seen === undefined || (attr.required && !seen.required)) out.set(name, attr);
    }
  }
  return out;
}

function describe(attr: { type: SchemaType; required: boolean }): string {
  return `${showType(attr.type)}, ${attr.required ? "required" : "optional"} in the schema`;
}

function list(names: readonly string[]): string {
  return names.length === 0 ? "none" : names.map((n) => `\`${n}\``).join(", ");
}
