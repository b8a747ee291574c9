// Requests an adapter turns away before the pipeline can decide them still get their one audit line
// and a decision id (#21): a malformed platform event, an HTTP API authorizer whose cache key does not
// bind the route, an ARN carrying IAM wildcards, a proxy that did not name the request.
import type { AuditLogger } from "../audit/create-logger.ts";
import type { AuthorizeInput, Decision, DecisionStatus } from "./types.ts";

/** Why an adapter refused a request before the pipeline ran. */
export type RefusalReason =
  /** The platform event has no known shape, or lacks what a decision must be scoped to (a usable `methodArn`). */
  | "malformed_event"
  /** An HTTP API authorizer's identity sources do not include the method and path, so a cached allow would leak across routes. */
  | "cache_key_unbound"
  /** The `methodArn` holds `*` or `?`, which IAM reads as wildcards: an Allow naming it would cover other ARNs. */
  | "wildcard_in_arn"
  /** The forward-auth request did not name the original request (a misconfigured proxy, or a caller that is not the proxy). */
  | "proxy_misconfigured"
  /** The configuration was refused at start (Workers build it on the first request). */
  | "config_refused"
  /** An adapter caught an exception the pipeline should never raise. */
  | "internal_error";

/** What an adapter could read of a request it refuses: an `AuthorizeInput` with every field but `platform` optional. */
export type RefusedRequest = Pick<AuthorizeInput, "platform"> & Partial<Omit<AuthorizeInput, "platform">>;

const NO_HEADERS = { get: () => null };

/**
 * Writes the one audit line of a refused request and returns its deny `Decision`. Never throws:
 * a logger that fails counts the loss itself, and the refusal stands.
 */
export function refuseRequest(audit: AuditLogger, decisionId: string, request: RefusedRequest, reason: RefusalReason, status: DecisionStatus): Decision {
  audit.log({
    decision: "deny",
    decisionId,
    reason,
    request: {
      method: typeof request.method === "string" ? request.method : "",
      path: typeof request.path === "string" ? request.path : "",
      clientIp: request.clientIp ?? null,
      headers: request.headers ?? NO_HEADERS,
      platformRequestId: request.requestId ?? null,
    },
    timingsMs: { total: 0 },
  });
  return { allow: false, status, reason, decisionId, context: { decisionId } };
}
