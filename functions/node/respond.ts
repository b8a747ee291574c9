// One converter: Decision → the proxy's answer. 2xx lets the request through; 401/403 are passed to the client.
import type { Decision } from "../../shared/pipeline/types.ts";

const titles: Record<number, string> = { 401: "Unauthorized", 403: "Forbidden", 503: "Service Unavailable" };

/**
 * 200 with the identity headers for the proxy to copy upstream, or the denial as
 * `application/problem+json` (RFC 9457) with `WWW-Authenticate` on 401 (RFC 6750 §3).
 * The decision id is always sent, so a denied client's report can be found in the audit log.
 */
export function proxyResponse(decision: Decision): Response {
  const headers = new Headers({ "cache-control": "no-store", "x-gatehouse-decision-id": decision.decisionId });
  if (decision.allow) {
    const identity = decision.identityHeaders;
    if (identity) for (const name in identity) headers.set(name, identity[name]);
    return new Response(null, { status: 200, headers });
  }
  if (decision.status === 401 && decision.wwwAuthenticate) headers.set("www-authenticate", decision.wwwAuthenticate);
  if (decision.dpopNonce !== undefined) headers.set("dpop-nonce", decision.dpopNonce); // RFC 9449 §8
  headers.set("content-type", "application/problem+json");
  const body = JSON.stringify({ type: "about:blank", title: titles[decision.status] ?? "Forbidden", status: decision.status, decision_id: decision.decisionId });
  return new Response(body, { status: decision.status, headers });
}

/** The proxy did not say which request it asks about: refused before deciding (`decisionId` of its audit line). */
export function misconfiguredProxyResponse(decisionId: string): Response {
  const body = JSON.stringify({ type: "about:blank", title: "Forbidden", status: 403, detail: "the proxy did not name the original request", decision_id: decisionId });
  return new Response(body, { status: 403, headers: { "content-type": "application/problem+json", "cache-control": "no-store", "x-gatehouse-decision-id": decisionId } });
}
