// Why a store lookup failed, for the audit line's `store_error` (#21). The checker tells `timeout`,
// `breaker_open` and a reply of the wrong shape apart itself; a rejection is sorted here.

/**
 * `bad_reply` when the store answered, but with an error: a Redis error reply (ioredis `ReplyError`,
 * e.g. `WRONGTYPE`), an Upstash error or unparsable body, an AWS service exception (`$fault` set by
 * the SDK), a body that is not JSON. Anything else means the store could not be reached or the
 * connection failed on the way: `connection`.
 */
export function storeErrorOf(error: unknown): "bad_reply" | "connection" {
  if (typeof error !== "object" || error === null) return "connection";
  const { name, $fault } = error as { name?: unknown; $fault?: unknown };
  if (name === "ReplyError" || name === "UpstashError" || name === "UpstashJSONParseError" || name === "SyntaxError") return "bad_reply";
  return $fault === "client" || $fault === "server" ? "bad_reply" : "connection";
}
