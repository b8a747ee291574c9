import type { AuditConfig, ResolvedAuditConfig } from "../audit/configure.ts";
import type { ResolvedRevocationConfig, RevocationConfig, RevocationFailMode } from "../revocation/config.ts";
import type { PathLimits } from "../routes/normalize.ts";
import type { RouteSpec, RoutesFile, RouteTable } from "../routes/types.ts";
import type { OnForbidError } from "../policy/types.ts";
import type { ResolvedTokenConfig, TokenConfig } from "../token/config.ts";
import type { PolicyBundleConfig, ResolvedPolicyBundleConfig } from "../bundle/config.ts";
import type { ResolvedRolloutConfig, RolloutConfig } from "../rollout/config.ts";
import type { MetricsConfig, ResolvedMetricsConfig } from "../metrics/config.ts";
import type { BreakGlassConfig, ResolvedBreakGlassConfig } from "../break-glass/config.ts";
import type { SloConfig } from "../metrics/slo-config.ts";
import type { EntitiesConfig, ResolvedEntitiesConfig } from "../entities/config.ts";

/** What a route does when the revocation store cannot answer in time; see `RevocationFailMode`. */
export type FailMode = RevocationFailMode;

/**
 * The one configuration that drives the Worker, the Lambda authorizer and the forward-auth server.
 * Plain JSON (the `--config` file of `gatehouse dev`, the Worker's `GATEHOUSE_CONFIG` var). Keys
 * `$schema` and `$comment` (strings) are ignored. Validated once at start by
 * `validateConfig`; the caller's object is never modified or kept.
 */
export interface GatehouseConfig {
  /** Trusted issuers (issuer, audience, algorithms, keys) and the token cache. Required. */
  readonly token: TokenConfig;
  /** The route table (`policies/routes.json`): method + path → Cedar action and resource. Required. */
  readonly routes: RoutesFile | readonly RouteSpec[];
  /** The revocation list and its cache. Required: `null` switches the check off, in writing. */
  readonly revocation: RevocationConfig | null;
  /** Fail mode of every route that `failModes` does not name; default `closed`. */
  readonly failMode?: FailMode;
  /** Fail mode per route, by route name (`"GET /health"` or the route's `name`); each name must exist. */
  readonly failModes?: Readonly<Record<string, FailMode>>;
  /** The audit line (client address mode, claim allowlist, sampling); every option has a safe default. */
  readonly audit?: AuditConfig;
  /** Where a token is read besides `Authorization: Bearer`. Default: nowhere else. */
  readonly credential?: {
    /** Cookie that may carry the token; default `null` (cookies ignored). */
    readonly cookie?: string | null;
    /** Query parameter that may carry the token (RFC 6750 §2.3); default `null`. URLs end up in logs: avoid. */
    readonly queryParam?: string | null;
  };
  /** What the pipeline adds to the policy context besides scopes, amr, acr, ip and time. */
  readonly context?: {
    /**
     * Request headers copied into `context.headers` (record of strings, lower-case names); default
     * none, at most 32. Absent headers are left out. Never list `authorization` or `cookie`.
     */
    readonly headers?: readonly string[];
  };
  /** Bounds on the request path, see `PathLimits`; defaults 2048 characters and 32 segments. */
  readonly paths?: Partial<PathLimits>;
  /**
   * What a `forbid` policy whose evaluation errors does. `skip` (default) is exact Cedar: the policy
   * does not apply and the others decide. `deny`: the request is denied (reason `forbid_error`), so a
   * data or schema mistake cannot silently switch off a guard rail such as tenant isolation.
   */
  readonly onForbidError?: OnForbidError;
  /** Signed policy bundles polled from a store and swapped in without a deploy; default none (`null`). */
  readonly policyBundle?: PolicyBundleConfig | null;
  /**
   * A canary rollout of the candidate policy set (`shadowPolicies`): it decides for a share of
   * principals or listed tenants, and is rolled back automatically when it misbehaves. Default none
   * (a candidate is only a shadow). See docs/rollout.md.
   */
  readonly rollout?: RolloutConfig;
  /** Decision metrics, emitted natively per platform; on by default. */
  readonly metrics?: MetricsConfig;
  /** Emergency access through a dedicated issuer and policy set; default none (`null`). */
  readonly breakGlass?: BreakGlassConfig | null;
  /** Service-level objectives, turned into alerts and dashboards by `gatehouse slo`; not read at run time. */
  readonly slo?: SloConfig;
  /**
   * Live entity data. Records of the principal, the resource and their ancestors, read at request
   * time from a store or an `http` endpoint, cached per type (default 5 s), merged over the token's
   * and the path's entities. Default none (`null`): the policies see the token, the path and the
   * static entities only.
   */
  readonly entities?: EntitiesConfig | null;
}

/** A `GatehouseConfig` after `validateConfig`: every section checked, defaults filled in, tables built. */
export interface ResolvedConfig {
  readonly token: ResolvedTokenConfig;
  readonly routes: RouteTable;
  /** Also a valid `RevocationConfig`, so it can be handed to `createRevocationChecker` as is. */
  readonly revocation: ResolvedRevocationConfig | null;
  /** Fail mode by route name, for every route. */
  readonly failModes: ReadonlyMap<string, FailMode>;
  readonly audit: ResolvedAuditConfig;
  readonly credential: { readonly cookie: string | null; readonly queryParam: string | null };
  /** Lower-case header names for `context.headers`. */
  readonly contextHeaders: readonly string[];
  readonly paths: PathLimits;
  readonly onForbidError: OnForbidError;
  /** `null` when policies come from the build-time module only. */
  readonly policyBundle: ResolvedPolicyBundleConfig | null;
  /** The canary rollout, or `null` without one. */
  readonly rollout: ResolvedRolloutConfig | null;
  readonly metrics: ResolvedMetricsConfig;
  readonly breakGlass: ResolvedBreakGlassConfig | null;
  /** `null` without live entity data. */
  readonly entities?: ResolvedEntitiesConfig | null;
}
