// SCAN MATCH takes a glob; a prefix holding `*`, `?`, `[` or `\` must not widen the match.

/** The `SCAN MATCH` pattern for every key starting with `prefix`. */
export function globForPrefix(prefix: string): string {
  return prefix.replace(/[*?[\]\\]/g, "\\$&") + "*";
}

/** Unix seconds when a key with this `TTL` reply expires, or `undefined` for no expiry. */
export function expiresAtFromTtl(ttlSeconds: unknown, nowMs: number): number | undefined {
  return typeof ttlSeconds === "number" && ttlSeconds >= 0 ? Math.floor(nowMs / 1000) + ttlSeconds : undefined;
}
