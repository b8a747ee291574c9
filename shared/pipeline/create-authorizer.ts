import { createAuditLogger, type AuditLogger } from "../audit/create-logger.ts";
import type { AuditSink } from "../audit/sink.ts";
import { stdoutSink } from "../audit/stdout-sink.ts";
import { systemClock, type Clock } from "../clock/index.ts";
import { validateConfig } from "../config/validate.ts";
import type { GatehouseConfig, ResolvedConfig } from "../config/types.ts";
import { ConfigError } from "../errors.ts";
import { ownsPolicySet } from "../policy/define.ts";
import type { CompiledPolicySet } from "../policy/types.ts";
import { createRevocationChecker } from "../revocation/check.ts";
import type { RevocationStore } from "../revocation/store.ts";
import type { FetchLike, JwksPersistence, JwksRegistry } from "../token/jwks.ts";
import { createTokenVerifier, type TokenVerifier } from "../token/verify.ts";
import { createSenderCheck } from "../token/bind.ts";
import { createDecide, decisionOf } from "./authorize.ts";
import { newDecisionId } from "./decision-id.ts";
import { pipelineStages } from "./order.ts";
import { forbidPolicyIds } from "./stages/decision.ts";
import type { PipelineParts } from "./parts.ts";
import type { MaybePromise } from "./state.ts";
import { createClaimsMemo } from "./claims-memo.ts";
import { trackContextNeeds, type ContextNeeds } from "./context-needs.ts";
import { refuseRequest, type RefusalReason, type RefusedRequest } from "./refuse.ts";
import type { Canary } from "../rollout/index.ts";
import type { AuthorizeInput, Decision, DecisionStatus, Platform } from "./types.ts";
import type { DecisionMetrics } from "../metrics/observer.ts";
import { createReadinessCheck, type Readiness } from "./readiness.ts";
import { sharedJwksRegistry } from "../token/jwks.ts";
// Optional features come through one module, which the Worker and Lambda builds may trim
import { attachPolicyBundle, attachRollout, buildEntityStage } from "../features/index.ts";
import type { EntitySource } from "../entities/source.ts";

/** What an adapter supplies besides the configuration. Each part but `policies` has a plain default. */
export interface AuthorizerDeps {
  /** The compiled policy module (`dist/policies.js`, bundled at build time). Required. */
  readonly policies: CompiledPolicySet;
  /**
   * Shadow mode (issue #7): a candidate policy module (`dist/policies.shadow.js`, from
   * `gatehouse build --shadow DIR`) evaluated on every request that reaches the policies, right
   * after the enforced set. Only the enforced set decides; the candidate's answer is written to the
   * audit line's `shadow` field, with `agrees: false` where the two differ. Default none (`null`).
   */
  readonly shadowPolicies?: CompiledPolicySet | null;
  /**
   * The revocation store built by the adapter from `config.revocation.store` (KV, Upstash, Redis,
   * DynamoDB). May be omitted only for `kind: "memory"` or `revocation: null`.
   */
  readonly revocationStore?: RevocationStore;
  /** Where audit lines go; default `stdoutSink()` (one JSON line per decision on stdout). */
  readonly auditSink?: AuditSink;
  /** Time source for token expiry, caches, the policy `time` and the audit line; default the system clock. */
  readonly clock?: Clock;
  /** Used for JWKS URIs only; default `globalThis.fetch`. */
  readonly fetch?: FetchLike;
  /** Second-level JWKS store (Workers KV), so a cold isolate need not fetch; default none. */
  readonly jwksPersistence?: JwksPersistence | null;
  /** Where remote key sets are cached; default the isolate-wide registry. Tests pass their own. */
  readonly jwksRegistry?: JwksRegistry;
  /** Makes decision ids; default random (version 4) UUIDs (`newDecisionId`). */
  readonly randomUUID?: () => string;
  /**
   * The store `config.policyBundle.store` names, opened by the adapter (or still opening).
   * Required when the configuration has a `policyBundle` section.
   */
  readonly policyBundleStore?: RevocationStore | Promise<RevocationStore>;
  /**
   * Where decision metrics go (the adapter's native emitter: `emfMetrics`, `analyticsEngineMetrics`,
   * the forward-auth server's Prometheus registry); default none. Ignored with `metrics.enabled: false`.
   */
  readonly metrics?: DecisionMetrics | null;
  /**
   * The dedicated policy module that decides break-glass tokens (`config.breakGlass`); required
   * with that section. Keep it short: the few actions an incident needs.
   */
  readonly breakGlassPolicies?: CompiledPolicySet | null;
  /**
   * Where live entity records are read (`openEntityDeps` builds it from `config.entities.source`).
   * May be omitted only for `kind: "memory"` or without `config.entities`.
   */
  readonly entitySource?: EntitySource;
  /** Whether `entitySource` reads the revocation store (one round trip for both; see `openEntityDeps`). */
  readonly entitiesShareStore?: boolean;
}

/**
 * Decides one request; never throws, never rejects. Made once per function instance by
 * `createAuthorizer`; adapters call nothing else.
 */
export interface Authorizer {
  (input: AuthorizeInput): Promise<Decision>;
  /**
   * The same decision, answered synchronously when no stage had to wait (token, revocation answer
   * and principal cached; issue #22): a `Decision`, or a Promise of one after a JWKS fetch or a
   * store round trip. Never throws, never rejects.
   */
  decide(input: AuthorizeInput): MaybePromise<Decision>;
  /**
   * Sends buffered audit lines; never rejects. Workers: `ctx.waitUntil(authorize.flush())`; Lambda:
   * await it before returning (a frozen sandbox sends nothing).
   */
  flush(): Promise<void>;
  /**
   * For a request the adapter turns away before deciding (a malformed event, an unbound cache key,
   * an ARN with wildcards, a proxy that named no request): writes its one audit line and returns
   * the deny `Decision` with a decision id; `status` defaults to 403. Never throws.
   */
  refuse(request: RefusedRequest, reason: RefusalReason, status?: DecisionStatus): Decision;
  /** Whether the key sets and the revocation store are usable now (readiness, not liveness); never rejects. */
  readiness(): Promise<Readiness>;
  /** The validated configuration (route table, fail modes), for tools and tests. */
  readonly config: ResolvedConfig;
  /** The compiled policy module's version (content hash). */
  readonly policyVersion: string;
  /** The candidate policy module's version in shadow mode; `null` without one. */
  readonly shadowPolicyVersion: string | null;
  /**
   * With `policyBundle`, the set deciding now (`.current()`, swapped by published bundles) and
   * `refreshPolicies()` to poll at once; `null`/absent without.
   */
  readonly livePolicies?: import("../bundle/live-set.ts").LivePolicySet | null;
  refreshPolicies?(): Promise<void>;
  /** The canary rollout (slice, rollback state, `setCandidate`); `null` without `rollout`. */
  readonly canary: Canary | null;
}

/**
 * Validates `config` (throwing `ConfigError` naming the field), builds the route table, the token
 * verifier, the revocation checker and the audit logger once, and returns `authorize`. Call at
 * module start (Lambda, Node) or on the first request of an isolate (Workers, whose `env` arrives
 * with the request).
 */
export function createAuthorizer(config: GatehouseConfig, deps: AuthorizerDeps): Authorizer {
  return createAuthorizerFrom(config, validateConfig(config), deps);
}

/** `createAuthorizer` for an adapter that validated `config` itself (`resolved` is what that returned). */
export function createAuthorizerFrom(config: GatehouseConfig, resolved: ResolvedConfig, deps: AuthorizerDeps): Authorizer {
  const policies = deps.policies;
  if (typeof policies !== "object" || policies === null || typeof policies.evaluate !== "function") {
    throw new ConfigError("policies", "expected a compiled policy module (`dist/policies.js`) with `evaluate`");
  }
  const shadowPolicies = deps.shadowPolicies ?? null;
  if (shadowPolicies !== null && (typeof shadowPolicies !== "object" || typeof shadowPolicies.evaluate !== "function")) {
    throw new ConfigError("shadowPolicies", "expected a compiled candidate policy module (`dist/policies.shadow.js`) with `evaluate`, or none");
  }
  // A break-glass issuer without its own policy set would fall through to nothing: refuse to start
  const breakGlassPolicies = deps.breakGlassPolicies ?? null;
  if (resolved.breakGlass !== null && (breakGlassPolicies === null || typeof breakGlassPolicies.evaluate !== "function")) {
    throw new ConfigError("breakGlassPolicies", "expected the compiled break-glass policy module with `evaluate`, since `breakGlass` is configured");
  }
  const metrics = resolved.metrics.enabled ? deps.metrics ?? null : null;
  const clock = deps.clock ?? systemClock;
  const sink = deps.auditSink ?? stdoutSink();
  // With `policyBundle`, a live set the refresher swaps; the build-time module decides until then
  const bundle = attachPolicyBundle(resolved.policyBundle, policies, { store: deps.policyBundleStore, clock, sink });
  const activePolicies = bundle?.live ?? policies;
  const policyVersion = typeof policies.version === "string" ? policies.version : null;
  const shadowPolicyVersion = shadowPolicies !== null && typeof shadowPolicies.version === "string" ? shadowPolicies.version : null;
  // Policy sets built by this runtime copy take its parsed values and entities (issue #22)
  const ownRuntime = ownsPolicySet(policies) && (shadowPolicies === null || ownsPolicySet(shadowPolicies));
  const logger = (platform: Platform) => createAuditLogger(config.audit, { platform, clock, sink, policyVersion, shadowPolicyVersion, metrics, ...(bundle ? { policyVersionOf: () => bundle.live.version } : {}) });
  const checker = resolved.revocation === null
    ? null
    : createRevocationChecker(resolved.revocation, { clock, ...(deps.revocationStore ? { store: deps.revocationStore } : {}) });
  const parts: PipelineParts = {
    routes: resolved.routes,
    paths: resolved.paths,
    credential: { cookie: resolved.credential.cookie, queryParam: resolved.credential.queryParam, maxTokenBytes: resolved.token.maxTokenBytes },
    verifier: createTokenVerifier(resolved.token, {
      clock,
      ...(deps.fetch ? { fetch: deps.fetch } : {}),
      persistence: deps.jwksPersistence ?? null,
      ...(deps.jwksRegistry ? { jwksRegistry: deps.jwksRegistry } : {}),
    }),
    checker,
    failModes: resolved.failModes,
    contextHeaders: resolved.contextHeaders,
    policies: activePolicies,
    forbidIds: bundle ? bundle.forbidIds(resolved.onForbidError) : forbidPolicyIds(policies, resolved.onForbidError),
    shadowPolicies,
    clock,
    claimsFacts: createClaimsMemo(ownRuntime),
    parsedContext: ownRuntime,
    // DPoP proofs' `jti`s are remembered in the revocation store, shared by every instance
    sender: createSenderCheck(resolved.token, { clock, store: checker === null ? null : checker.store, deadlineMs: resolved.revocation?.deadlineMs }),
    breakGlass: resolved.breakGlass === null ? null : { ...resolved.breakGlass, policies: breakGlassPolicies! },
    entities: buildEntityStage(resolved.entities ?? null, policies, clock, deps.entitySource, deps.entitiesShareStore === true, ownRuntime),
  };
  // The canary rollout of the candidate, when configured (the shared flag uses the revocation store)
  const canary = attachRollout(resolved.rollout, { candidate: shadowPolicies, stableVersion: policyVersion, clock, sink, store: checker === null ? null : checker.store, metrics });
  if (canary !== null) (parts as { canary?: Canary | null }).canary = canary;
  // `geo` (and so the platform's `cf`) only while a set that may see the request can read it; a
  // canary evaluates its candidate, not the shadow set it started from
  (parts as { contextNeeds?: ContextNeeds }).contextNeeds = trackContextNeeds({
    policies: activePolicies,
    live: bundle?.live ?? null,
    shadowPolicies: canary === null ? shadowPolicies : null,
    canary,
    breakGlassPolicies: parts.breakGlass?.policies ?? null,
    replay: resolved.audit.replay,
  });
  const audit = { worker: logger("worker"), lambda: logger("lambda"), node: logger("node") };
  // The same registry, clock and fetch as the verifier, so a key set loaded here serves requests
  const readiness = createReadinessCheck({
    token: resolved.token, checker: parts.checker, registry: deps.jwksRegistry ?? sharedJwksRegistry(clock), clock,
    fetch: deps.fetch ?? ((input: string, init: RequestInit) => fetch(input, init)), persistence: deps.jwksPersistence ?? null,
  });
  const randomUUID = deps.randomUUID ?? newDecisionId;
  const decideState = createDecide(pipelineStages(parts), { audit, randomUUID });
  const refresher = bundle?.refresher;
  const decide = refresher === undefined
    ? function decide(input: AuthorizeInput): MaybePromise<Decision> {
      return decisionOf(decideState(input));
    }
    : function decide(input: AuthorizeInput): MaybePromise<Decision> {
      refresher.tick(); // Starts a background poll when due; never awaited here
      return decisionOf(decideState(input));
    };
  const run = function authorizeRequest(input: AuthorizeInput): Promise<Decision> {
    return Promise.resolve(decide(input));
  };
  // What the platform must keep alive besides the audit lines (Workers' waitUntil): a policy
  // bundle poll in progress, and the canary's shared-flag reads and writes
  const flushAudit = refresher === undefined ? () => audit.worker.flush() : () => refresher.settled().then(() => audit.worker.flush());
  const flushLines = canary === null || resolved.rollout?.rollback?.sharedTtlMs == null ? flushAudit : () => Promise.all([flushAudit(), canary.settle()]).then(() => undefined);
  const flush = metrics === null ? flushLines : () => Promise.all([flushLines(), metrics.flush().catch(() => {})]).then(() => {});
  const refuse = function refuse(request: RefusedRequest, reason: RefusalReason, status: DecisionStatus = 403): Decision {
    const platform = request.platform === "lambda" || request.platform === "node" ? request.platform : "worker";
    return refuseRequest(audit[platform], randomUUID(), request, reason, status);
  };
  const authorizer = Object.assign(run, { decide, flush, refuse, readiness, config: resolved, policyVersion: String(policies.version), shadowPolicyVersion, canary });
  if (bundle === null) return authorizer;
  // The version deciding now, and a way to poll at once
  Object.defineProperty(authorizer, "policyVersion", { get: () => String(bundle.live.version), enumerable: true });
  return Object.assign(authorizer, { livePolicies: bundle.live, refreshPolicies: () => bundle.refresher.refresh() });
}
