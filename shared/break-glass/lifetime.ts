import type { JwtClaims } from "../token/verify.ts";

/**
 * Whether a break-glass token's own lifetime, `exp - iat`, is within `maxLifetimeSeconds`. Both
 * claims must be numbers: an emergency token without a stated birth and end is refused.
 */
export function withinLifetime(claims: JwtClaims, maxLifetimeSeconds: number): boolean {
  const { iat, exp } = claims as { iat?: unknown; exp?: unknown };
  return typeof iat === "number" && typeof exp === "number" && exp - iat <= maxLifetimeSeconds && exp > iat;
}
