// The Cloudflare Worker app: authorize every request, forward the allowed ones to the origin with
// identity headers, answer the rest with problem+json. Translation only; the decision is the pipeline's.
// A factory, so the build-time modules (policies, routes) come from whoever bundles it: this repo's
// index.ts by wrangler aliases, a user's entry by plain imports (`gatehouse/worker`, #15).
import { Hono } from "hono/tiny";
import type { CompiledPolicySet } from "../../shared/policy/index.ts";
import type { RoutesFile } from "../../shared/routes/index.ts";
import type { GatehouseConfig } from "../../shared/config/index.ts";
import type { Authorizer } from "../../shared/pipeline/create-authorizer.ts";
import type { Decision } from "../../shared/pipeline/types.ts";
import { configRefused, executionContext, flushLater, lazyAuthorizer, problemResponse, requestInput, setIdentityHeaders, type ExecutionContextLike, type WorkerEnv } from "../../shared/middleware/index.ts";
import { isPromise } from "../../shared/pipeline/state.ts";
import { configFromEnv, jwksPersistenceFromEnv, metricsFromEnv, originFromEnv, type Origin, type WorkerBindings } from "./env.ts";
import { forwardToOrigin } from "./forward.ts";

export type { WorkerBindings } from "./env.ts";

/** What the Worker bundles in at build time. */
export interface WorkerModules {
  /** The compiled policy module (`gatehouse build` writes `dist/policies.js`). */
  readonly policies: CompiledPolicySet;
  /** Shadow mode: the candidate policy module, or `null`/absent for none. */
  readonly shadowPolicies?: CompiledPolicySet | null;
  /** The route table, used when the configuration has no `routes`. */
  readonly routes: RoutesFile;
  /** The dedicated break-glass policy module, required with `config.breakGlass`. */
  readonly breakGlassPolicies?: CompiledPolicySet | null;
  /** A configuration bundled with the Worker (e.g. `gatehouse.config.json`); the `GATEHOUSE_CONFIG` var overrides it. */
  readonly config?: unknown;
}

/**
 * The Worker's `fetch` app (a Hono app; `export default createWorker(...)`). The authorizer and the
 * origin are built from `env` on the first request and kept for the isolate; a configuration error
 * answers every request with a 503 problem and logs the field once.
 */
export function createWorker(modules: WorkerModules): Hono<{ Bindings: WorkerBindings }> {
  // The config is read first; the deps (#19: the metrics binding it names) come from the same object
  let config: GatehouseConfig | undefined;
  const authorizerFor = lazyAuthorizer(
    (env: WorkerEnv) => (config = configFromEnv(withBundledConfig(env as WorkerBindings, modules.config), modules.routes)),
    (env: WorkerEnv) => ({
      policies: modules.policies, shadowPolicies: modules.shadowPolicies ?? null, jwksPersistence: jwksPersistenceFromEnv(env as WorkerBindings),
      metrics: config === undefined ? null : metricsFromEnv(env as WorkerBindings, config), breakGlassPolicies: modules.breakGlassPolicies ?? null,
    }),
  );

  let origin: Origin | undefined;
  function originFor(env: WorkerBindings): Origin | undefined {
    if (origin === undefined) {
      try {
        origin = originFromEnv(env);
      } catch (error) {
        console.error(`gatehouse: configuration refused: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    return origin;
  }

  // The common case answers without an `await` of its own: a cached decision is synchronous
  // (authorize.decide), and the origin's Promise is handed back as it is
  function handle(authorize: Authorizer | undefined, request: Request, path: string, env: WorkerBindings, ctx: ExecutionContextLike | undefined): Response | Promise<Response> {
    const target = originFor(env);
    // Readiness, only where configured, and only once the configuration was accepted
    if (authorize !== undefined && env.GATEHOUSE_READINESS_PATH !== undefined && request.method === "GET" && path === env.GATEHOUSE_READINESS_PATH) {
      return authorize.readiness().then((readiness) => Response.json(readiness, { status: readiness.ready ? 200 : 503, headers: { "cache-control": "no-store" } }));
    }
    // Refused for its configuration, but still one audit line per request (#21)
    if (authorize === undefined) return problemResponse(configRefused(requestInput(request)));
    if (target === undefined) {
      const refused = authorize.refuse(requestInput(request), "config_refused", 503);
      flushLater(ctx, authorize);
      return problemResponse(refused);
    }
    const decided = authorize.decide(requestInput(request));
    flushLater(ctx, authorize);
    return isPromise(decided) ? decided.then((decision) => answer(decision, request, target)) : answer(decided, request, target);
  }

  const app = new Hono<{ Bindings: WorkerBindings }>();
  app.all("*", (c): Response | Promise<Response> => {
    const authorize = authorizerFor(c.env as unknown as WorkerEnv);
    const ctx = executionContext(c);
    // A lazily loaded store client makes an isolate's first authorizer a Promise (#16)
    if (isPromise(authorize)) return authorize.then((built) => handle(built, c.req.raw, c.req.path, c.env, ctx));
    return handle(authorize, c.req.raw, c.req.path, c.env, ctx);
  });
  return app;
}

function answer(decision: Decision, request: Request, target: Origin): Response | Promise<Response> {
  if (!decision.allow) return problemResponse(decision);
  // A copy of the request has headers of its own to change: one copy, not a Headers and then a Request
  const forwarded = new Request(request);
  setIdentityHeaders(forwarded.headers, decision);
  return forwardToOrigin(forwarded, target);
}

// `GATEHOUSE_CONFIG` wins; without it, the configuration bundled with the Worker
function withBundledConfig(env: WorkerBindings, bundled: unknown): WorkerBindings {
  if (env.GATEHOUSE_CONFIG !== undefined || bundled === undefined) return env;
  return { ...env, GATEHOUSE_CONFIG: bundled as Record<string, unknown> };
}
