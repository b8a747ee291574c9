// HTTP API Lambda authorizer event, payload format 2.0.
// https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-lambda-authorizer.html
import type { AuthorizeInput } from "../../shared/pipeline/types.ts";
import { eventHeaders, record, text } from "./headers.ts";
import { clientCertOf } from "./request-event.ts";

/** A converted HTTP API event, with what the authorizer cache will key this answer on. */
export interface HttpInput {
  readonly input: AuthorizeInput;
  /** The values of the authorizer's identity sources, in order, as API Gateway resolved them. */
  readonly identitySource: readonly string[];
  /** The request path as API Gateway's `$context.path` resolves it (stage prefix included). */
  readonly contextPath: string;
}

/**
 * Translates a payload 2.0 event. Method and path are the request's own (`requestContext.http.method`,
 * `rawPath` with percent-encoding intact); on a named stage `rawPath` starts with `/{stage}`, which is
 * removed so routes read the same on every stage. Payload 2.0 moves cookies out of the headers into
 * `cookies`; they are joined back into one `cookie` header.
 */
export function fromHttpEvent(event: Record<string, unknown>): HttpInput {
  const context = record(event.requestContext);
  const http = record(context?.http);
  const stage = text(context?.stage);
  const rawPath = text(event.rawPath) ?? text(http?.path) ?? "";
  const path = stage && stage !== "$default" && rawPath.startsWith(`/${stage}/`) ? rawPath.slice(stage.length + 1) : rawPath;
  const cookies = Array.isArray(event.cookies) ? event.cookies.filter((c): c is string => typeof c === "string") : [];
  const { headers, authorizationCount } = eventHeaders(event.headers, undefined, cookies.length > 0 ? { cookie: cookies.join("; ") } : undefined);
  const identitySource = Array.isArray(event.identitySource) ? event.identitySource.filter((v): v is string => typeof v === "string") : [];
  return {
    identitySource,
    contextPath: text(http?.path) ?? rawPath,
    input: {
      platform: "lambda",
      method: text(http?.method) ?? "",
      path,
      query: text(event.rawQueryString) ?? "",
      headers,
      clientIp: text(http?.sourceIp),
      requestId: text(context?.requestId),
      headerCounts: { authorization: authorizationCount },
      // DPoP `htu` and the client certificate API Gateway verified
      url: text(context?.domainName) === undefined ? undefined : `https://${text(context?.domainName)}${rawPath}`,
      clientCertificate: clientCertOf(record(record(context?.authentication)?.clientCert)),
    },
  };
}
