import type { PolicyJson, SchemaJson } from "@cedar-policy/cedar-wasm/nodejs";
import type { EntityJson } from "../../shared/policy/index.ts";
import type { RouteTable } from "../../shared/routes/index.ts";

/** A place in a project file, 1-based. */
export interface SourcePosition {
  /** Path relative to the policies directory, e.g. `orders.cedar`. */
  readonly file: string;
  readonly line: number;
  readonly column: number;
}

/** A problem reading the project (a Cedar syntax error, a bad schema), with Cedar's message. */
export interface ProjectDiagnostic extends Partial<SourcePosition> {
  readonly message: string;
  /** Cedar's hint, when it gives one. */
  readonly help?: string;
}

/** One policy as written: its id, where it is, its text and Cedar's JSON form of it. */
export interface PolicySource {
  /** The `@id` annotation, else Cedar's `policyN` (N counts policies across files in name order). */
  readonly id: string;
  readonly effect: "permit" | "forbid";
  readonly file: string;
  readonly line: number;
  readonly text: string;
  readonly json: PolicyJson;
}

/** A policy project read from disk: schema, policies, static entities and routes. */
export interface PolicyProject {
  /** The policies directory, absolute. */
  readonly dir: string;
  readonly schemaText: string;
  /** The schema in Cedar's JSON form, with common types resolved. */
  readonly schema: SchemaJson<string>;
  readonly policies: readonly PolicySource[];
  readonly entities: readonly EntityJson[];
  /** The raw route file contents (`{ routes: [...] }`). */
  readonly routesSpec: unknown;
  readonly routes: RouteTable;
}

/**
 * What an analysis finding is about. A closed union, so tests and CI can switch on it:
 *
 * - `claim_missing`: a policy reads a principal attribute the schema requires and the claims mapping does not supply.
 * - `claim_type_mismatch`: the mapping supplies a principal attribute with another type than the schema's.
 * - `claim_never_supplied`: a policy reads an optional principal attribute the mapping never supplies (its `has` is always false).
 * - `principal_type_mismatch`: the mapping's principal type is not one the schema's actions accept.
 * - `parent_type_mismatch`: the mapping's parent entity type is not one the principal type may be a member of.
 * - `context_missing`: a policy reads a required context field the pipeline does not supply.
 * - `context_type_mismatch`: the pipeline supplies a context field with another type than the schema's.
 * - `context_may_be_absent`: a required context field the pipeline supplies only sometimes.
 * - `route_action_unknown`: a route names an action the schema does not declare.
 * - `route_resource_mismatch`: a route's resource type is not one its action applies to.
 * - `route_never_permitted`: no permit policy's scope covers the route's action, so it always denies.
 * - `policy_action_unrouted`: no route maps to any action the policy names, so it never applies.
 * - `action_unused`: a schema action that no route maps to and no policy names.
 */
export type FindingCode =
  | "claim_missing"
  | "claim_type_mismatch"
  | "claim_never_supplied"
  | "principal_type_mismatch"
  | "parent_type_mismatch"
  | "context_missing"
  | "context_type_mismatch"
  | "context_may_be_absent"
  | "route_action_unknown"
  | "route_resource_mismatch"
  | "route_never_permitted"
  | "policy_action_unrouted"
  | "action_unused";

/** `error` fails the build; `warning` is printed (and fails it under `--strict`). */
export type FindingSeverity = "error" | "warning";

/** One analysis finding: a code, a one-line message, and what it is about. */
export interface Finding {
  readonly code: FindingCode;
  readonly severity: FindingSeverity;
  /** One line, lowercase, names in backticks. */
  readonly message: string;
  /** The policy it concerns (or that needs the attribute), with its place. */
  readonly policy?: string;
  readonly file?: string;
  readonly line?: number;
  /** The route name, e.g. `GET /tenants/:tenant/orders`. */
  readonly route?: string;
  /** The claim (dotted path) and the principal attribute or context field concerned. */
  readonly claim?: string;
  readonly attribute?: string;
  /** The issuer whose mapping is at fault. */
  readonly issuer?: string;
}
