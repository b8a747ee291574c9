import type { Decision } from "../pipeline/types.ts";

const TITLES: Readonly<Record<number, string>> = { 401: "Unauthorized", 403: "Forbidden", 503: "Service Unavailable" };
const DETAILS: Readonly<Record<number, string>> = {
  401: "a valid bearer token is required",
  403: "the request is not allowed",
  503: "the authorizer cannot decide right now; retry later",
};

/**
 * The answer to a denied request: an RFC 9457 problem document (`application/problem+json`) with
 * `type: "about:blank"` (so `title` is the status phrase, §4.2.1) and the `decision_id` that finds
 * the audit line. The body never says why (that is in the audit line), so a caller learns nothing
 * about keys, lists or policies. 401 carries the RFC 6750 `WWW-Authenticate` challenge; no denial is
 * cached by anyone (`cache-control: no-store`).
 */
export function problemResponse(decision: Decision): Response {
  const status = decision.status === 200 ? 403 : decision.status;
  const body = `{"type":"about:blank","title":"${TITLES[status]}","status":${status},"detail":"${DETAILS[status]}","decision_id":${JSON.stringify(decision.decisionId)}}`;
  const headers = new Headers({
    "content-type": "application/problem+json",
    "cache-control": "no-store",
    "x-gatehouse-decision-id": decision.decisionId,
  });
  if (status === 401 && decision.wwwAuthenticate !== undefined) headers.set("www-authenticate", decision.wwwAuthenticate);
  if (decision.dpopNonce !== undefined) headers.set("dpop-nonce", decision.dpopNonce);
  if (status === 503) headers.set("retry-after", "1");
  return new Response(body, { status, headers });
}
