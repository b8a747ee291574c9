// How API Gateway resolves an authorizer's identity sources against a request, for the cache key.
import type { AuthorizerKind } from "./types.ts";

type Json = Record<string, unknown>;
const obj = (v: unknown): Json | undefined => (typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Json) : undefined);
const str = (v: unknown): string | undefined => (typeof v === "string" ? v : typeof v === "number" || typeof v === "boolean" ? String(v) : undefined);

function header(map: unknown, name: string): string | undefined {
  const headers = obj(map);
  if (!headers) return undefined;
  const wanted = name.toLowerCase();
  for (const key in headers) if (key.toLowerCase() === wanted) return str(headers[key]);
  return undefined;
}

/**
 * The value of one identity source, or `undefined` when it is missing or empty, in which case API
 * Gateway answers 401 without invoking the authorizer. REST expressions:
 * `method.request.header.X`, `method.request.querystring.X`, `stageVariables.X`, `context.X`;
 * HTTP API: `$request.header.X`, `$request.querystring.X`, `$stageVariables.X`, `$context.X`
 * (`$context.httpMethod` and `$context.path` read `requestContext.http`).
 */
export function resolveIdentitySource(kind: AuthorizerKind, expression: string, event: Json): string | undefined {
  const context = obj(event.requestContext);
  let value: string | undefined;
  let match: RegExpExecArray | null;
  if (kind === "rest_token") {
    value = str(event.authorizationToken);
  } else if (kind === "rest_request") {
    if ((match = /^method\.request\.header\.(.+)$/.exec(expression))) value = header(event.headers, match[1]);
    else if ((match = /^method\.request\.querystring\.(.+)$/.exec(expression))) value = str(obj(event.queryStringParameters)?.[match[1]]);
    else if ((match = /^stageVariables\.(.+)$/.exec(expression))) value = str(obj(event.stageVariables)?.[match[1]]);
    else if ((match = /^context\.(.+)$/.exec(expression))) value = str(context?.[match[1]]);
    else throw new TypeError(`identity source \`${expression}\`: expected a REST mapping expression such as \`method.request.header.Authorization\``);
  } else {
    const http = obj(context?.http);
    if ((match = /^\$request\.header\.(.+)$/.exec(expression))) value = header(event.headers, match[1]);
    else if ((match = /^\$request\.querystring\.(.+)$/.exec(expression))) value = str(obj(event.queryStringParameters)?.[match[1]]);
    else if ((match = /^\$stageVariables\.(.+)$/.exec(expression))) value = str(obj(event.stageVariables)?.[match[1]]);
    else if (expression === "$context.httpMethod") value = str(http?.method);
    else if (expression === "$context.path") value = str(http?.path);
    else if ((match = /^\$context\.(.+)$/.exec(expression))) value = str(context?.[match[1]]);
    else throw new TypeError(`identity source \`${expression}\`: expected an HTTP API selection expression such as \`$request.header.Authorization\``);
  }
  return value === "" ? undefined : value;
}
