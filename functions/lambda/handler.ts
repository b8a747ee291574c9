// The Lambda entry point's logic: recognise the event, translate, decide, answer. No decision logic here.
import type { Authorizer } from "../../shared/pipeline/create-authorizer.ts";
import type { RefusalReason, RefusedRequest } from "../../shared/pipeline/refuse.ts";
import type { AuthorizeInput, Decision, DecisionStatus } from "../../shared/pipeline/types.ts";
import { record, text } from "./headers.ts";
import { fromHttpEvent } from "./http-event.ts";
import { hasIamWildcard } from "./method-arn.ts";
import { fromRequestEvent } from "./request-event.ts";
import { iamPolicyResponse, simpleResponse, type IamPolicyResponse, type SimpleResponse } from "./respond.ts";
import { fromTokenEvent } from "./token-event.ts";

/** The pipeline's entry point and its `refuse`, as `createAuthorizer(config, deps)` returns them. */
export type Authorize = ((input: AuthorizeInput) => Promise<Decision>) & Pick<Authorizer, "refuse">;

/**
 * What the handler requires of an HTTP API's authorizer cache before it answers `isAuthorized: true`.
 *
 * - `require_route` (default): the event's `identitySource` values must include the request's method
 *   and path (identity sources `$context.httpMethod` and `$context.path`). A simple response names no
 *   route, so API Gateway would otherwise re-use one route's allow for every route the same token
 *   calls until the TTL runs out. Without them the request is denied.
 * - `off`: no check, for authorizers deployed with caching disabled (TTL 0) only.
 */
export type HttpApiCacheCheck = "require_route" | "off";

/** Options of `createLambdaHandler`. */
export interface LambdaHandlerOptions {
  /** Runs after each decision, before the handler answers (the audit sink's `flush`); default none. */
  readonly flush?: () => Promise<void>;
  /** See `HttpApiCacheCheck`; default `require_route`. */
  readonly httpApiCache?: HttpApiCacheCheck;
  /** Where the one-time misconfiguration warning goes; default `console.error`. */
  readonly warn?: (message: string) => void;
}

/** What the handler answers: an IAM policy (REST) or a simple response (HTTP API). REST 401 throws `Unauthorized`. */
export type LambdaAuthorizerResult = IamPolicyResponse | SimpleResponse;

/** An API Gateway Lambda authorizer handler. */
export type LambdaHandler = (event: unknown, context?: unknown) => Promise<LambdaAuthorizerResult>;

/**
 * Builds the handler for REST `TOKEN`, REST `REQUEST` and HTTP API (payload 2.0, simple responses)
 * authorizer events. Malformed events are denied: a REST event without a usable `methodArn`, or an
 * event of no known shape, throws `Unauthorized` (API Gateway's 401); an HTTP API event answers
 * `isAuthorized: false`; a `methodArn` holding an IAM wildcard (`*`, `?`) gets a Deny. Nothing else
 * is thrown, whatever the input. Every invocation, refusals included, writes exactly one audit line.
 */
export function createLambdaHandler(authorize: Authorize, options: LambdaHandlerOptions = {}): LambdaHandler {
  const requireRoute = (options.httpApiCache ?? "require_route") === "require_route";
  const warn = options.warn ?? ((message: string) => console.error(message));
  const flush = options.flush;
  let warned = false;

  async function decide(input: AuthorizeInput): Promise<Decision> {
    try {
      return await authorize(input);
    } catch {
      // The pipeline answers every request with a Decision; reaching here is a bug, so fail closed
      return authorize.refuse(input, "internal_error", 503);
    } finally {
      if (flush) await flush().catch(() => undefined);
    }
  }

  // Refused before the pipeline: still one audit line and a decision id (#21)
  async function refuse(request: RefusedRequest, reason: RefusalReason, status: DecisionStatus = 403): Promise<Decision> {
    try {
      return authorize.refuse(request, reason, status);
    } finally {
      if (flush) await flush().catch(() => undefined);
    }
  }

  return async function gatehouseLambdaHandler(event: unknown): Promise<LambdaAuthorizerResult> {
    const body = record(event);
    if (body?.version === "2.0" || (body !== undefined && "routeArn" in body && !("methodArn" in body))) {
      const { input, identitySource, contextPath } = fromHttpEvent(body);
      if (requireRoute && !(identitySource.includes(input.method) && identitySource.includes(contextPath))) {
        if (!warned) {
          warned = true;
          warn("gatehouse: http api authorizer: identity sources must include `$context.httpMethod` and `$context.path`, or set httpApiCache to `off` with caching disabled: denying");
        }
        return simpleResponse(await refuse(input, "cache_key_unbound"));
      }
      return simpleResponse(await decide(input));
    }
    const rest = body?.type === "TOKEN" ? fromTokenEvent(body) : body?.type === "REQUEST" ? fromRequestEvent(body) : undefined;
    if (!rest) {
      await refuse({ platform: "lambda", requestId: text(record(body?.requestContext)?.requestId) }, "malformed_event", 401);
      throw new Error("Unauthorized");
    }
    // IAM reads `*` and `?` in a Resource as wildcards: an Allow naming this ARN would cover others (#21)
    if (hasIamWildcard(rest.methodArn)) return iamPolicyResponse(await refuse(rest.input, "wildcard_in_arn"), rest.methodArn);
    return iamPolicyResponse(await decide(rest.input), rest.methodArn);
  };
}
