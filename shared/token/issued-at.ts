// jose checks a future `iat` only when `maxTokenAge` is set (panva/jose:src/lib/jwt_claims_set.ts);
// RFC 8725 §3.10 and hardened verifiers refuse one on every token, so we do it ourselves (#21).

/**
 * Whether a verified payload's `iat` lies further ahead of `nowMs` than the clock tolerance. jose has
 * already checked that `iat`, when present, is a number; an absent `iat` is not in the future.
 * Seconds are compared as jose compares them (the current time rounded down to whole seconds).
 */
export function issuedInFuture(iat: unknown, nowMs: number, toleranceSeconds: number): boolean {
  return typeof iat === "number" && iat > Math.floor(nowMs / 1000) + toleranceSeconds;
}
