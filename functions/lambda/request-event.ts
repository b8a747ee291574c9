// REST API `REQUEST` authorizer event: the method request's headers, query, path and context.
// https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-lambda-authorizer-input.html
import { eventHeaders, record, text } from "./headers.ts";
import { parseMethodArn } from "./method-arn.ts";
import type { RestInput } from "./token-event.ts";

/**
 * Translates a REST `REQUEST` event. Method and path are taken from the `methodArn`, not from
 * `httpMethod` and `path`: the policy answered names that ARN, so the decision must be about exactly
 * what it names (behind a custom domain `path` also carries the base-path mapping, the ARN does not).
 * `undefined` when the ARN is unusable.
 */
export function fromRequestEvent(event: Record<string, unknown>): RestInput | undefined {
  const methodArn = text(event.methodArn);
  const arn = parseMethodArn(methodArn);
  if (!arn || methodArn === undefined) return undefined;
  const { headers, authorizationCount } = eventHeaders(event.headers, event.multiValueHeaders);
  const context = record(event.requestContext);
  const identity = record(context?.identity);
  return {
    methodArn,
    input: {
      platform: "lambda",
      method: arn.method,
      path: arn.path,
      query: queryString(event.multiValueQueryStringParameters, event.queryStringParameters),
      headers,
      clientIp: text(identity?.sourceIp),
      requestId: text(context?.requestId),
      headerCounts: { authorization: authorizationCount },
      // The URL the client used (DPoP `htu`; `path` keeps a custom domain's base path) and the
      // client certificate API Gateway verified against its truststore
      url: restUrl(context, event.path),
      clientCertificate: clientCertOf(record(identity?.clientCert)),
    },
  };
}

function restUrl(context: Record<string, unknown> | undefined, path: unknown): string | undefined {
  const domain = text(context?.domainName);
  const rawPath = text(path);
  return domain === undefined || rawPath === undefined ? undefined : `https://${domain}${rawPath}`;
}

/** The PEM of an API Gateway `clientCert` block (REST `identity.clientCert`, HTTP API `authentication.clientCert`). */
export function clientCertOf(block: Record<string, unknown> | undefined): { pem: string } | undefined {
  const pem = text(block?.clientCertPem);
  return pem === undefined ? undefined : { pem };
}

// REST events carry the query only decoded and split into maps; re-encode it for routes that read a query token
function queryString(multi: unknown, single: unknown): string {
  const parts: string[] = [];
  const multiMap = record(multi);
  const singleMap = record(single);
  if (multiMap) {
    for (const name in multiMap) {
      const list = multiMap[name];
      if (!Array.isArray(list)) continue;
      for (const value of list) if (typeof value === "string") parts.push(`${encodeURIComponent(name)}=${encodeURIComponent(value)}`);
    }
  } else if (singleMap) {
    for (const name in singleMap) {
      const value = singleMap[name];
      if (typeof value === "string") parts.push(`${encodeURIComponent(name)}=${encodeURIComponent(value)}`);
    }
  }
  return parts.join("&");
}
