// Loads the AWS-documentation-shaped authorizer events in ./events, with a real token put in.
import { readFileSync } from "node:fs";

export type EventName = "rest-token" | "rest-request" | "http-v2";

/** A fresh copy of the named event; `<token>` is replaced by `token` (or left as is). */
export function loadEvent(name: EventName, token?: string): Record<string, any> {
  const raw = readFileSync(new URL(`./events/${name}.json`, import.meta.url), "utf8");
  return JSON.parse(token === undefined ? raw : raw.replaceAll("<token>", token)) as Record<string, any>;
}

/** Points a loaded event at another method and path, keeping every field consistent. */
export function retarget(event: Record<string, any>, method: string, path: string): Record<string, any> {
  const copy = structuredClone(event);
  const arnBase = "arn:aws:execute-api:us-east-1:123456789012:abcdef123";
  if (copy.version === "2.0") {
    copy.routeArn = `${arnBase}/$default/${method}${path}`;
    copy.rawPath = path;
    copy.requestContext.http.method = method;
    copy.requestContext.http.path = path;
    if (Array.isArray(copy.identitySource) && copy.identitySource.length === 3) copy.identitySource = [copy.identitySource[0], method, path];
  } else {
    copy.methodArn = `${arnBase}/test/${method}${path}`;
    if (copy.type === "REQUEST") {
      copy.path = path;
      copy.httpMethod = method;
      copy.requestContext.path = `/test${path}`;
      copy.requestContext.httpMethod = method;
    }
  }
  return copy;
}
