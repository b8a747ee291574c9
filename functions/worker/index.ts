// The Cloudflare Worker: authorize every request, forward the allowed ones to the origin with
// identity headers, answer the rest with problem+json. Translation only; the decision is the pipeline's.
import { Hono } from "hono/tiny";
import policies from "@gatehouse/policies";
import shadowPolicies from "@gatehouse/shadow-policies";
import routes from "@gatehouse/routes";
import { configRefused, executionContext, flushLater, lazyAuthorizer, problemResponse, requestInput, withIdentityHeaders, type WorkerEnv } from "../../shared/middleware/index.ts";
import { isPromise } from "../../shared/pipeline/state.ts";
import { configFromEnv, jwksPersistenceFromEnv, originFromEnv, type Origin, type WorkerBindings } from "./env.ts";
import { forwardToOrigin } from "./forward.ts";

const authorizerFor = lazyAuthorizer(
  (env: WorkerEnv) => configFromEnv(env as WorkerBindings, routes),
  (env: WorkerEnv) => ({ policies, shadowPolicies, jwksPersistence: jwksPersistenceFromEnv(env as WorkerBindings) }),
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
  if (isPromise(authorize)) authorize = await authorize;
  const target = originFor(c.env);
  const request = c.req.raw;
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

export default app;
