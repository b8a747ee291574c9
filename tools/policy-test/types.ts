import type { DecisionDetail, DecisionReason } from "../../shared/pipeline/index.ts";
import type { CedarJsonValue, CedarRequest, CompiledPolicySet, EntityJson, OnForbidError, PolicyResult } from "../../shared/policy/index.ts";
import type { PathLimits, RouteTable } from "../../shared/routes/index.ts";
import type { ResolvedClaimsMapping } from "../../shared/token/index.ts";
import type { ResolvedEntitiesConfig } from "../../shared/entities/index.ts";

/** What the real pipeline needs to decide a request whose claims are given (no signature step). */
export interface DecideSetup {
  readonly policies: CompiledPolicySet;
  readonly routes: RouteTable;
  readonly paths: PathLimits;
  /** Claims mappings by exact `iss`; a token whose `iss` is not here uses `defaultMapping`. */
  readonly mappings: ReadonlyMap<string, ResolvedClaimsMapping>;
  readonly defaultMapping: ResolvedClaimsMapping;
  /** Header names copied into `context.headers` (lower case), as configured. */
  readonly contextHeaders: readonly string[];
  /** What an erroring forbid does, as configured (`skip` without a config). */
  readonly onForbidError: OnForbidError;
  /** The configuration's `entities` section (depth, limits, claimsAuthoritative); default its defaults. */
  readonly entities?: ResolvedEntitiesConfig | null;
}

/** One request to decide, as a policy test case or `gatehouse check` gives it. */
export interface DecideInput {
  /** HTTP method, e.g. `GET`. */
  readonly method: string;
  /** The raw path, percent-encoding intact. */
  readonly path: string;
  /** Verified token claims; mapped to a principal with the issuer's claims mapping. */
  readonly claims?: Readonly<Record<string, unknown>>;
  /** A principal entity given directly instead of claims (Cedar JSON entity). */
  readonly principal?: EntityJson;
  /** Context fields merged over what the pipeline builds (Cedar JSON values). */
  readonly context?: Readonly<Record<string, CedarJsonValue>>;
  /** Extra request entities (Cedar JSON), beside the principal and the resource. */
  readonly entities?: readonly EntityJson[];
  /**
   * The live entity records the entity source holds for this request (Cedar JSON entities). They
   * go through the production entity stage (checked against the schema, merged over the token's
   * principal and the path's resource); a uid without one has no record.
   */
  readonly liveEntities?: readonly unknown[];
  /** Request headers, for `context.headers`. */
  readonly headers?: Readonly<Record<string, string>>;
  /** The client address, for `context.ip`. */
  readonly ip?: string;
  /** The decision time, in ms since the epoch (`context.time`). */
  readonly now: number;
}

/** The pipeline's answer for a request with given claims, and everything that led to it. */
export interface DecideOutcome {
  readonly decision: "allow" | "deny";
  /** The pipeline's reason code: `allowed`, `policy_denied`, `forbid_error`, `public_route`, `no_route`, `missing_token`, a path or claim refusal. */
  readonly reason: DecisionReason;
  /** The claim at fault, for `claim_type` and `missing_claim`. */
  readonly claim?: string;
  /** What the stage that ended the request knew (the refused segment, the erroring forbids, an internal error's message). */
  readonly detail?: DecisionDetail;
  /** The matched route's name. */
  readonly route?: string;
  /** The Cedar request evaluated, when the policies were reached. */
  readonly request?: CedarRequest;
  /** The request entities evaluated (principal, resource, extras). */
  readonly entities?: readonly EntityJson[];
  /** The policy set's answer, when the policies were reached. */
  readonly result?: PolicyResult;
}

/** One policy test case, after defaults are applied: the request to decide and what to expect. */
export interface PolicyCase extends Omit<DecideInput, "now"> {
  readonly name: string;
  /** Where it was written: `tests/orders.yaml`, and its index in `cases`. */
  readonly file: string;
  readonly index: number;
  /** The decision time in ms since the epoch; default the suite's `now`, else the run's start. */
  readonly now?: number;
  readonly expect: "allow" | "deny";
  /** The expected pipeline reason code, when the case states one. */
  readonly reason?: string;
  /** The expected determining policy ids (order does not matter), when the case states them. */
  readonly policies?: readonly string[];
  /** The expected erroring policy ids, when the case states them. */
  readonly errors?: readonly string[];
}

/** A problem in a test file: where, and what was expected. */
export interface SuiteProblem {
  readonly file: string;
  /** The field at fault, e.g. `cases[3].expect`. */
  readonly field: string;
  readonly message: string;
}

/** The outcome of one case. */
export interface CaseResult {
  readonly case: PolicyCase;
  readonly passed: boolean;
  readonly outcome: DecideOutcome;
  /** What differed, one entry per field (`decision`, `reason`, `policies`, `errors`). */
  readonly mismatches: readonly { readonly field: string; readonly expected: string; readonly actual: string }[];
}

/** A whole run: every case, suite problems, and coverage. */
export interface TestReport {
  readonly results: readonly CaseResult[];
  readonly problems: readonly SuiteProblem[];
  readonly passed: number;
  readonly failed: number;
  /** Policy ids no case had among its determining policies. */
  readonly unexercisedPolicies: readonly string[];
  /** Route names no case matched. */
  readonly unexercisedRoutes: readonly string[];
}
