// What API Gateway accepts back from an authorizer, built from the pipeline's `Decision`.
import type { Decision } from "../../shared/pipeline/types.ts";
import { hasIamWildcard, literalIamResource } from "./method-arn.ts";

/** Authorizer context: API Gateway refuses nested values, so only strings, numbers and booleans. */
export type AuthorizerContext = Record<string, string | number | boolean>;

/** The IAM policy answer of a REST API authorizer (TOKEN or REQUEST). */
export interface IamPolicyResponse {
  principalId: string;
  policyDocument: {
    Version: "2012-10-17";
    Statement: Array<{ Action: "execute-api:Invoke"; Effect: "Allow" | "Deny"; Resource: string[] }>;
  };
  context: AuthorizerContext;
}

/** The simple answer of an HTTP API authorizer with `enableSimpleResponses` (payload 2.0). */
export interface SimpleResponse {
  isAuthorized: boolean;
  context: AuthorizerContext;
}

/**
 * The context handed to the integration: the decision id and reason, then the pipeline's own
 * context values. Anything that is not a string, number or boolean is dropped rather than sent,
 * because one nested value makes API Gateway answer 500 for the whole request.
 */
export function authorizerContext(decision: Decision): AuthorizerContext {
  const context: AuthorizerContext = { decisionId: decision.decisionId, reason: decision.reason };
  const extra = decision.context;
  if (extra) {
    for (const key in extra) {
      const value: unknown = extra[key];
      if (typeof value === "string" || typeof value === "boolean" || (typeof value === "number" && Number.isFinite(value))) {
        context[key] = value;
      }
    }
  }
  return context;
}

/**
 * REST answer for a decision on exactly `methodArn`. Never a wildcard: API Gateway caches this
 * policy under the identity sources and re-evaluates it against later requests' ARNs, so a policy
 * naming only this ARN cannot allow another method or path from the cache. An ARN holding `*` or `?`
 * (IAM wildcards, possibly from the request path) is never allowed, whatever the decision, and its
 * Deny names it with those characters percent-encoded (#21).
 * A 401 throws `Unauthorized`, the one error API Gateway turns into 401 instead of 500
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-lambda-authorizer-output.html).
 */
export function iamPolicyResponse(decision: Decision, methodArn: string): IamPolicyResponse {
  if (decision.status === 401) throw new Error("Unauthorized");
  const allow = decision.allow && !hasIamWildcard(methodArn);
  return {
    principalId: decision.principal?.id ?? "anonymous",
    policyDocument: {
      Version: "2012-10-17",
      Statement: [{ Action: "execute-api:Invoke", Effect: allow ? "Allow" : "Deny", Resource: [literalIamResource(methodArn)] }],
    },
    context: authorizerContext(decision),
  };
}

/** HTTP API simple answer; any deny (401, 403, 503) reaches the client as 403, API Gateway's only denial here. */
export function simpleResponse(decision: Decision): SimpleResponse {
  return { isAuthorized: decision.allow, context: authorizerContext(decision) };
}
