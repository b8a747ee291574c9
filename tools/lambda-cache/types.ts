/**
 * Which API Gateway authorizer is emulated:
 * - `rest_token`: REST API `TOKEN` authorizer; the cache key is the token alone.
 * - `rest_request`: REST API `REQUEST` authorizer; the cache key is the identity sources' values.
 * - `http_simple`: HTTP API Lambda authorizer, payload 2.0 with simple responses.
 */
export type AuthorizerKind = "rest_token" | "rest_request" | "http_simple";

/** What the client gets: through (`allow`), 403 (`deny`), 401 (`unauthorized`) or 500 (`error`). */
export type ClientOutcome = "allow" | "deny" | "unauthorized" | "error";
