// Authorizer events shaped like API Gateway's, for replays and demos (all documented fields present).
import type { AuthorizerKind } from "./types.ts";

/** One request line and its headers, to turn into an authorizer event. */
export interface EventRequest {
  readonly method: string;
  /** Raw path, without the stage, e.g. `/tenants/acme/orders/o-17`. */
  readonly path: string;
  /** Lower-case header names; `authorization` carries the token. */
  readonly headers?: Readonly<Record<string, string>>;
  readonly sourceIp?: string;
}

const ACCOUNT = "123456789012";
const API_ID = "abcdef123";

/**
 * The event API Gateway would send for `request` to an authorizer of `kind`, on stage `test` (REST)
 * or `$default` (HTTP API). For `http_simple`, `identitySource` is left empty: the replay fills it
 * from the configured identity sources.
 */
export function authorizerEvent(kind: AuthorizerKind, request: EventRequest, requestId = "c6af9ac6-7b61-11e6-9a41-93e8deadbeef"): Record<string, unknown> {
  const headers = { ...request.headers };
  const sourceIp = request.sourceIp ?? "203.0.113.7";
  if (kind === "rest_token") {
    return { type: "TOKEN", authorizationToken: headers.authorization ?? "", methodArn: `arn:aws:execute-api:us-east-1:${ACCOUNT}:${API_ID}/test/${request.method}${request.path}` };
  }
  if (kind === "rest_request") {
    const multi = Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, [value]]));
    return {
      type: "REQUEST",
      methodArn: `arn:aws:execute-api:us-east-1:${ACCOUNT}:${API_ID}/test/${request.method}${request.path}`,
      resource: request.path,
      path: request.path,
      httpMethod: request.method,
      headers,
      multiValueHeaders: multi,
      queryStringParameters: {},
      multiValueQueryStringParameters: {},
      pathParameters: {},
      stageVariables: {},
      requestContext: {
        path: `/test${request.path}`, accountId: ACCOUNT, resourceId: "05c7jb", stage: "test", requestId,
        identity: { apiKey: "", sourceIp }, resourcePath: request.path, httpMethod: request.method, apiId: API_ID,
      },
    };
  }
  return {
    version: "2.0",
    type: "REQUEST",
    routeArn: `arn:aws:execute-api:us-east-1:${ACCOUNT}:${API_ID}/$default/${request.method}${request.path}`,
    identitySource: [],
    routeKey: "$default",
    rawPath: request.path,
    rawQueryString: "",
    cookies: [],
    headers,
    queryStringParameters: {},
    requestContext: {
      accountId: ACCOUNT, apiId: API_ID, domainName: `${API_ID}.execute-api.us-east-1.amazonaws.com`, domainPrefix: API_ID,
      http: { method: request.method, path: request.path, protocol: "HTTP/1.1", sourceIp, userAgent: "gatehouse-replay" },
      requestId, routeKey: "$default", stage: "$default", time: "22/Nov/2026:10:00:00 +0000", timeEpoch: 1795341600000,
    },
    pathParameters: {},
    stageVariables: {},
  };
}
