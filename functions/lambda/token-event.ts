// REST API `TOKEN` authorizer event: the token source header's value and the method ARN, nothing else.
// https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-lambda-authorizer-input.html
import type { AuthorizeInput } from "../../shared/pipeline/types.ts";
import { text } from "./headers.ts";
import { parseMethodArn } from "./method-arn.ts";

/** A converted event: what to decide, and the exact ARN the answer will name. */
export interface RestInput {
  readonly input: AuthorizeInput;
  readonly methodArn: string;
}

/**
 * Translates a `TOKEN` event. Method and path come from the `methodArn`, the only place this event
 * carries them. The token source's value is presented as the `Authorization` header, so the token
 * source must carry `Bearer <jwt>` like any other client. `undefined` when the ARN is unusable:
 * there is then nothing a policy could be scoped to.
 */
export function fromTokenEvent(event: Record<string, unknown>): RestInput | undefined {
  const methodArn = text(event.methodArn);
  const arn = parseMethodArn(methodArn);
  if (!arn || methodArn === undefined) return undefined;
  // API Gateway never calls with an empty token source; treat one like an absent header
  const token = text(event.authorizationToken) || undefined;
  const headers = { get: (name: string) => (token !== undefined && name.toLowerCase() === "authorization" ? token : null) };
  return {
    methodArn,
    input: { platform: "lambda", method: arn.method, path: arn.path, headers, headerCounts: { authorization: token === undefined ? 0 : 1 } },
  };
}
