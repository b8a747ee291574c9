import { IDENTITY_HEADER_PREFIX } from "../pipeline/identity.ts";
import type { Decision } from "../pipeline/types.ts";

/**
 * The headers to send on to the origin: the request's own, minus every inbound `x-gatehouse-*`
 * (a client could otherwise claim any identity), plus the decision's identity headers.
 */
export function withIdentityHeaders(inbound: Headers, decision: Decision): Headers {
  const headers = new Headers(inbound);
  setIdentityHeaders(headers, decision);
  return headers;
}

/**
 * The same, in place: for the headers of a request copy (`new Request(request)`), so the headers
 * are copied once rather than into a `Headers` and then again into the new request.
 */
export function setIdentityHeaders(headers: Headers, decision: Decision): void {
  const spoofed: string[] = [];
  headers.forEach((_value, name) => {
    if (name.startsWith(IDENTITY_HEADER_PREFIX)) spoofed.push(name);
  });
  for (const name of spoofed) headers.delete(name);
  const identity = decision.identityHeaders;
  if (identity !== undefined) for (const name in identity) headers.set(name, identity[name]);
  else headers.set("x-gatehouse-decision-id", decision.decisionId);
}
