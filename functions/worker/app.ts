// The Cloudflare Worker app: authorize every request, forward the allowed ones to the origin with
// identity headers, answer the rest with problem+json. Translation only; the decision is the pipeline's.
// A factory, so the build-time modules (policies, routes) come from whoever bundles it: this repo's
// index.ts by wrangler aliases, a user's entry by plain imports (`gatehouse/worker`, #15).
import { Hono } from "hono/tiny";
import type { CompiledPolicySet } from "../../shared/policy/index.ts";
import type { RoutesFile } from "../../shared/routes/index.ts";
import type { GatehouseConfig } from "../../shared/config/index.ts";
import { configRefused, executionContext, flushLater, lazyAuthorizer, problemResponse, requestInput, withIdentityHeaders, type WorkerEnv } from "../../shared/middleware/index.ts";
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
  /** #19: the dedicated break-glass policy module, required with `config.breakGlass`. */
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

  const app = new Hono<{ Bindings: WorkerBindings }>();
  app.all("*", async (c) => {
    let authorize = authorizerFor(c.env as unknown as WorkerEnv);
    // A lazily loaded store client makes an isolate's first authorizer a Promise (#16)
    if (isPromise(authorize)) authorize = await authorize;
    const target = originFor(c.env);
    const request = c.req.raw;
    // #19: readiness, only where configured, and only once the configuration was accepted
    if (authorize !== undefined && c.env.GATEHOUSE_READINESS_PATH !== undefined && request.method === "GET" && c.req.path === c.env.GATEHOUSE_READINESS_PATH) {
      const readiness = await authorize.readiness();
      return c.json(readiness, readiness.ready ? 200 : 503, { "cache-control": "no-store" });
    }
    // Refused for its configuration, but still one audit line per request (#21)
    if (authorize === undefined) return problemResponse(configRefused(requestInput(request)));
    if (target === undefined) {
      const refused = authorize.refuse(requestInput(request), "config_refused", 503);
      flushLater(executionContext(c), authorize);
      return problemResponse(refused);
    }
    const decision = await authorize(requestInput(request));
    flushLater(executionContext(c), authorize);
    if (!decision.allow) return problemResponse(decision);
    return forwardToOrigin(new Request(request, { headers: withIdentityHeaders(request.headers, decision) }), target);
  });
  return app;
}

// `GATEHOUSE_CONFIG` wins; without it, the configuration bundled with the Worker
function withBundledConfig(env: WorkerBindings, bundled: unknown): WorkerBindings {
  if (env.GATEHOUSE_CONFIG !== undefined || bundled === undefined) return env;
  return { ...env, GATEHOUSE_CONFIG: bundled as Record<string, unknown> };
}
