import type { AuditLogger } from "../audit/create-logger.ts";
import type { Clock } from "../clock/index.ts";
import type { FailMode } from "../config/types.ts";
import type { CompiledPolicySet } from "../policy/types.ts";
import type { RevocationChecker } from "../revocation/check.ts";
import type { PathLimits } from "../routes/normalize.ts";
import type { RouteTable } from "../routes/types.ts";
import type { TokenVerifier } from "../token/verify.ts";
import type { SenderCheck } from "../token/bind.ts";
import type { ClaimsMemo } from "./claims-memo.ts";
import type { Canary } from "../rollout/canary.ts";
import type { Platform } from "./types.ts";
import type { EntityStageParts } from "./entity-parts.ts";
import type { ContextNeeds } from "./context-needs.ts";

/**
 * Everything the stages need, built once per function instance by `createAuthorizer` (or by a tool
 * that swaps the credential, token and revocation stages). Plain values, so a tool can build it
 * without a full configuration.
 */
export interface PipelineParts {
  readonly routes: RouteTable;
  readonly paths: PathLimits;
  /** Where a token may be read besides `Authorization`, and how long it may be. */
  readonly credential: { readonly cookie: string | null; readonly queryParam: string | null; readonly maxTokenBytes: number };
  /** The token verifier; `null` when a tool supplies verified claims instead. */
  readonly verifier: TokenVerifier | null;
  /** The revocation checker; `null` with `revocation: null` (or when a tool says nothing is revoked). */
  readonly checker: RevocationChecker | null;
  /** Fail mode by route name. */
  readonly failModes: ReadonlyMap<string, FailMode>;
  /** Lower-case header names copied into `context.headers`. */
  readonly contextHeaders: readonly string[];
  readonly policies: CompiledPolicySet;
  /** Ids of the forbid policies when `onForbidError: "deny"` asks that their errors deny; else `null`. */
  readonly forbidIds: ReadonlySet<string> | null;
  /** The candidate set evaluated beside `policies` in shadow mode; `null` without. */
  readonly shadowPolicies: CompiledPolicySet | null;
  readonly clock: Clock;
  /** Principal facts per verified claims object, derived once (issue #22); default: mapped on every request. */
  readonly claimsFacts?: ClaimsMemo;
  /** Whether `policies` take this runtime's parsed `ip`/`time` values and entities (`ownsPolicySet`); default `false`. */
  readonly parsedContext?: boolean;
  /** DPoP and certificate binding checks (#20); default none (the binding stage passes). */
  readonly sender?: (SenderCheck & { readonly algorithms: string; readonly requiresBinding: boolean }) | null;
  /** A canary rollout (`rollout` configured with a candidate); the policies stage then lets the candidate decide for its slice. Default none. */
  readonly canary?: Canary | null;
  /** The break-glass issuer, its lifetime bound and its dedicated policy set; `null`/absent without. */
  readonly breakGlass?: BreakGlassParts | null;
  /** The live entity loader and its options; absent or `null` without `config.entities`. */
  readonly entities?: EntityStageParts | null;
  /**
   * Which costly context parts some set here may read (`trackContextNeeds`); default every part,
   * the safe answer for parts whose sets may change unseen.
   */
  readonly contextNeeds?: ContextNeeds;
}

/** What the policies stage needs to decide break-glass tokens. */
export interface BreakGlassParts {
  /** The issuer's configured name (`TokenSuccess.issuer`). */
  readonly issuer: string;
  readonly maxLifetimeSeconds: number;
  readonly policies: CompiledPolicySet;
}

/** What `createDecide` needs besides the stages: how to name a decision and where its audit line goes. */
export interface DecideParts {
  /** One logger per platform (the audit line's `platform` is the input's), sharing one sink. */
  readonly audit: Readonly<Record<Platform, AuditLogger>>;
  readonly randomUUID: () => string;
}
