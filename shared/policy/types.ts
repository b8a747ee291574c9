import type { ExtensionValue } from "./values.ts";
import type { EntityShapes } from "../entities/shapes.ts";

/** An entity reference in Cedar JSON: `{type, id}` (the `__entity` escape is accepted too). */
export interface EntityUidJson {
  type: string;
  id: string;
}

/**
 * A value in Cedar's JSON encoding. Integers may be bigint when they come from a lossless JSON
 * parser; plain numbers must be safe integers.
 */
export type CedarJsonValue =
  /** An extension value already parsed with this runtime (see `ownsPolicySet`). */
  | ExtensionValue
  | boolean
  | number
  | bigint
  | string
  | { __entity: EntityUidJson }
  | { __extn: { fn: string; arg: CedarJsonValue } | { fn: string; args: CedarJsonValue[] } }
  | CedarJsonValue[]
  | { [key: string]: CedarJsonValue };

/** An entity in Cedar's JSON entity format. */
export interface EntityJson {
  uid: EntityUidJson | { __entity: EntityUidJson };
  attrs?: Record<string, CedarJsonValue>;
  parents?: (EntityUidJson | { __entity: EntityUidJson })[];
  tags?: Record<string, CedarJsonValue>;
}

/** One authorization request. `context` is a record in Cedar's JSON value encoding. */
export interface CedarRequest {
  principal: EntityUidJson;
  action: EntityUidJson;
  resource: EntityUidJson;
  context?: Record<string, CedarJsonValue>;
}

/** An error raised by one policy; that policy was skipped. */
export interface PolicyError {
  /** The policy id (its `@id` annotation, or Cedar's `policyN`, per the compiler's `idMode`). */
  policy: string;
  /** One line, lowercase, Cedar's wording where it has one. */
  message: string;
}

/**
 * The outcome of `evaluate`: a value, never an exception. When a single policy decided and none
 * errored (and for a deny with no policy at all) the result is one frozen object shared by every
 * such call: treat results as read-only, and copy `reasons` before changing it.
 */
export interface PolicyResult {
  decision: "allow" | "deny";
  /** Ids of the policies that decided: satisfied forbids on deny, satisfied permits on allow. */
  reasons: string[];
  /** Policies whose evaluation errored. */
  errors: PolicyError[];
}

/**
 * What to do when a `forbid` policy errors. `"skip"` (the default) is exact Cedar: the policy does
 * not apply. `"deny"` denies the request, so a forbid that cannot be evaluated (e.g. a missing
 * attribute) fails closed.
 */
export type OnForbidError = "skip" | "deny";

/** A compiled policy's metadata. */
export interface PolicyInfo {
  /** The id used in `reasons` and `errors`. */
  id: string;
  /** Cedar's generated id for the policy (`policy0`, `policy1`, ... in source order). */
  cedarId: string;
  effect: "permit" | "forbid";
  /** Annotations; an annotation written without a value maps to `""`. */
  annotations: Record<string, string>;
  /** Source file, relative to the policies directory, when compiled from files. */
  file?: string;
  /** 1-based line of the policy in `file`. */
  line?: number;
}

/** The shape of a generated policy module (and of `definePolicySet`'s result). */
export interface CompiledPolicySet {
  /** Decides one request. `entities` are request entities in Cedar JSON (or pre-built). */
  evaluate(request: CedarRequest, entities?: readonly EntityJson[]): PolicyResult;
  /** SHA-256 (hex) over the policy, schema and entity sources. */
  readonly version: string;
  readonly policies: readonly PolicyInfo[];
  readonly onForbidError: OnForbidError;
  /**
   * Ids of the policies `evaluate` would look at for this request, after the action, principal
   * and resource indexes. For tests and debugging.
   */
  candidates(request: CedarRequest, entities?: readonly EntityJson[]): string[];
  /** The schema's entity types, for checking live records; `null` or absent when built without a schema. */
  readonly entityShapes?: EntityShapes | null;
  /** Whether `type::id` is one of the static entities (live records are never read for them). */
  hasStaticEntity?(type: string, id: string): boolean;
  /**
   * The `context` attributes the policies can read, so the pipeline may leave out the others that
   * cost something to build (`geo`). `null` or absent: not known (a module compiled before the
   * compiler wrote it, a hand-written set, a policy that uses `context` whole), so any may be read.
   */
  readonly contextAttributes?: ReadonlySet<string> | null;
}
