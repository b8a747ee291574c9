import type { MiddlewareHandler } from "hono";
import type { GatehouseConfig } from "../config/types.ts";
import { createAuditLogger, type AuditLogger } from "../audit/create-logger.ts";
import { NOTHING_TO_FLUSH, type AuditSink } from "../audit/sink.ts";
import { createAuthorizer, type Authorizer, type AuthorizerDeps } from "../pipeline/create-authorizer.ts";
import { refuseRequest, type RefusedRequest } from "../pipeline/refuse.ts";
import type { Decision } from "../pipeline/types.ts";
import { validateConfig } from "../config/validate.ts";
import { ConfigError } from "../errors.ts";
import { edgeStores, openStore, type StoreRegistry } from "../revocation/registry.ts";
import type { RevocationStore } from "../revocation/store.ts";
import { isPromise, type MaybePromise } from "../pipeline/state.ts";
import type { StoreDepsForAuthorizer } from "../entities/open-source.ts";
import { openEntityDeps } from "../features/index.ts";
import { setIdentityHeaders } from "./identity-headers.ts";
import { problemResponse } from "./problem.ts";
import { requestInput } from "./request-input.ts";

/** The Worker's `env` as the middleware reads it: bindings by name. */
export type WorkerEnv = Readonly<Record<string, unknown>>;

/**
 * What `gatehouse()` needs besides the configuration: `AuthorizerDeps`. `revocationStore` may be
 * left out: the store `config.revocation.store` names is then opened on the first request through
 * `stores`, default `edgeStores` (`memory`, `kv` from the Worker's binding). `neutralStores` adds
 * `upstash` (from the Worker's vars; its client then joins the bundle); Node's `nodeStores` adds
 * `redis` and `dynamodb`.
 */
export type GatehouseDeps = AuthorizerDeps & { readonly stores?: StoreRegistry };

/** Hono variables set by the middleware: the allow decision, for handlers that need the caller. */
export interface GatehouseVariables {
  gatehouse: Decision;
}

/** The part of a Worker's `ExecutionContext` the middleware uses. */
export interface ExecutionContextLike {
  waitUntil(promise: Promise<unknown>): void;
}

/**
 * Hono middleware that guards the routes it is mounted on: `app.use("/api/*", gatehouse(config, { policies }))`.
 * A denied request gets a problem+json 401/403/503 and never reaches the handler. An allowed one
 * reaches it with inbound `x-gatehouse-*` headers replaced by the verified identity headers and the
 * decision in `c.get("gatehouse")`. Paths are matched as the request has them, so mount it where
 * the route table's patterns are the full request paths.
 *
 * `config` and `deps` may be functions of the Worker's `env`; either way the authorizer is built
 * once per isolate, on the first request (Workers hand `env` to requests only). A bad configuration
 * answers every request with 503 and logs the `ConfigError` once: it fails closed, never open.
 */
export function gatehouse(
  config: GatehouseConfig | ((env: WorkerEnv) => GatehouseConfig),
  deps: GatehouseDeps | ((env: WorkerEnv) => GatehouseDeps),
): MiddlewareHandler<{ Variables: GatehouseVariables }> {
  const authorizerFor = lazyAuthorizer(config, deps);
  return async function gatehouseMiddleware(c, next) {
    let authorize = authorizerFor((c.env ?? {}) as WorkerEnv);
    if (isPromise(authorize)) authorize = await authorize;
    const request = c.req.raw;
    if (authorize === undefined) {
      const sink = typeof deps === "function" ? undefined : deps.auditSink;
      const refused = configRefused(requestInput(request), sink);
      if (sink !== undefined) executionContext(c)?.waitUntil(sink.flush().catch(() => undefined));
      return problemResponse(refused);
    }
    // A cached decision is synchronous (issue #22): no await unless a stage had to wait
    const decided = authorize.decide(requestInput(request));
    const decision = isPromise(decided) ? await decided : decided;
    flushLater(executionContext(c), authorize);
    if (!decision.allow) return problemResponse(decision);
    // The copy's headers are its own to change: the request is copied once, its headers with it
    const forwarded = new Request(request);
    setIdentityHeaders(forwarded.headers, decision);
    c.req.raw = forwarded;
    c.set("gatehouse", decision);
    await next();
  };
}

/**
 * The authorizer of an isolate, built on first use from `env` and kept; `undefined` when the
 * configuration was refused (the `ConfigError` is logged once, and the caller answers 503). A
 * Promise only while a store whose client loads lazily (Upstash) is being opened, on the first request.
 */
export function lazyAuthorizer(
  config: GatehouseConfig | ((env: WorkerEnv) => GatehouseConfig),
  deps: GatehouseDeps | ((env: WorkerEnv) => GatehouseDeps),
): (env: WorkerEnv) => MaybePromise<Authorizer | undefined> {
  let authorizer: MaybePromise<Authorizer | undefined> | undefined;
  let refused = false;
  const refuse = (error: unknown): undefined => {
    refused = true;
    console.error(`gatehouse: configuration refused: ${error instanceof Error ? error.message : String(error)}`);
    return undefined;
  };
  return function authorizerFor(env) {
    if (authorizer !== undefined || refused) return authorizer;
    try {
      const resolvedConfig = typeof config === "function" ? config(env) : config;
      // The whole configuration before any store, key set or sink is built from it (#21)
      const checked = validateConfig(resolvedConfig);
      const { stores, ...resolvedDeps } = typeof deps === "function" ? deps(env) : deps;
      // The policy bundle store, through the same registry (a Promise while its client loads)
      const bundleSection = checked.policyBundle?.store;
      let policyBundleStore = resolvedDeps.policyBundleStore;
      if (policyBundleStore === undefined && bundleSection !== undefined) {
        const openedBundles = openStore(stores ?? edgeStores, bundleSection, { env }, "policyBundle.store");
        policyBundleStore = isPromise(openedBundles) ? openedBundles.then((o) => o.store) : openedBundles.store;
      }
      const withBundles = policyBundleStore === undefined ? resolvedDeps : { ...resolvedDeps, policyBundleStore };
      // The entity source opens beside the revocation store (sharing its client when both name one)
      const build = (revocationStore: RevocationStore | undefined): MaybePromise<Authorizer> => {
        const extra = openEntityDeps(stores ?? edgeStores, checked, revocationStore, { env });
        const make = (more: StoreDepsForAuthorizer) => createAuthorizer(resolvedConfig, { ...withBundles, ...more });
        return isPromise(extra) ? extra.then(make) : make(extra);
      };
      const section = checked.revocation?.store;
      const settle = (built: MaybePromise<Authorizer>) => (authorizer = isPromise(built) ? built.then((later) => (authorizer = later), (error: unknown) => { authorizer = undefined; return refuse(error); }) : built);
      if (resolvedDeps.revocationStore !== undefined || section === undefined) return settle(build(resolvedDeps.revocationStore));
      const opened = openStore(stores ?? edgeStores, section, { env });
      if (!isPromise(opened)) return settle(build(opened.store));
      authorizer = opened
        .then((later) => build(later.store))
        .then((built) => (authorizer = built), (error: unknown) => {
          authorizer = undefined;
          return refuse(error);
        });
      return authorizer;
    } catch (error) {
      return refuse(error);
    }
  };
}

const refusalLoggers = new WeakMap<AuditSink, AuditLogger>();
let stdoutRefusals: AuditLogger | undefined;

/**
 * The decision for every request of an isolate whose configuration was refused: fail closed (503),
 * with its one audit line (#21) on `sink`, default stdout, in the default audit format (the
 * configured one was refused with the rest).
 */
export function configRefused(request: RefusedRequest = { platform: "worker" }, sink?: AuditSink): Decision {
  let audit: AuditLogger | undefined;
  if (sink === undefined) audit = stdoutRefusals ??= createAuditLogger(undefined, { platform: "worker" });
  else {
    audit = refusalLoggers.get(sink);
    if (audit === undefined) refusalLoggers.set(sink, (audit = createAuditLogger(undefined, { platform: "worker", sink })));
  }
  return refuseRequest(audit, crypto.randomUUID(), request, "config_refused", 503);
}

/** Hands the audit flush to the platform so it outlives the response (Workers' `waitUntil`), unless nothing was buffered. */
export function flushLater(ctx: ExecutionContextLike | undefined, authorize: Authorizer): void {
  const flushing = authorize.flush();
  if (ctx !== undefined && flushing !== NOTHING_TO_FLUSH) ctx.waitUntil(flushing);
}

// Hono's getter throws outside Workers (Node, tests), where there is nothing to keep alive
export function executionContext(c: { readonly executionCtx: ExecutionContextLike }): ExecutionContextLike | undefined {
  try {
    return c.executionCtx;
  } catch {
    return undefined;
  }
}

