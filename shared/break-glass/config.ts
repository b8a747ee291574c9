import { expectObject, refuseUnknownOptions } from "../config/fields.ts";
import { ConfigError } from "../errors.ts";
import type { ResolvedTokenConfig } from "../token/config.ts";

/**
 * The `breakGlass` section (issue #19): emergency access for an incident. Tokens of one dedicated
 * issuer are decided by a dedicated, short policy set (`AuthorizerDeps.breakGlassPolicies`, never
 * the everyday one), live minutes only, and every decision on one is audited with
 * `break_glass: true` (never sampled away) and counted by its own metric. See docs/break-glass.md.
 */
export interface BreakGlassConfig {
  /** The `name` (or `issuer` URL) of the entry in `token.issuers` that mints break-glass tokens. Required. */
  readonly issuer: string;
  /**
   * Longest lifetime of a break-glass token, `exp - iat`, in seconds, from 60 to 3600; default 900.
   * The issuer's `maxAgeSeconds` must be set and no larger, so a token also stops at `iat` + that age.
   */
  readonly maxLifetimeSeconds?: number;
}

/** The section checked against the token issuers. */
export interface ResolvedBreakGlassConfig {
  /** The issuer's configured name, as the verifier reports it. */
  readonly issuer: string;
  readonly maxLifetimeSeconds: number;
}

/** Checks the section once at start; throws a `ConfigError` naming the field. */
export function resolveBreakGlassConfig(raw: unknown, token: ResolvedTokenConfig, field = "breakGlass"): ResolvedBreakGlassConfig | null {
  if (raw === undefined || raw === null) return null;
  const config = expectObject(raw, field, "an object `{ issuer, maxLifetimeSeconds }`");
  refuseUnknownOptions(config, field, ["issuer", "maxLifetimeSeconds"]);
  const maxLifetimeSeconds = config.maxLifetimeSeconds ?? 900;
  if (typeof maxLifetimeSeconds !== "number" || !Number.isInteger(maxLifetimeSeconds) || maxLifetimeSeconds < 60 || maxLifetimeSeconds > 3600) {
    throw new ConfigError(`${field}.maxLifetimeSeconds`, `expected an integer from 60 to 3600, got \`${String(maxLifetimeSeconds)}\``);
  }
  const name = config.issuer;
  const issuer = [...token.issuers.values()].find((entry) => entry.name === name || entry.issuer === name);
  if (typeof name !== "string" || issuer === undefined) throw new ConfigError(`${field}.issuer`, `expected the name of an entry in \`token.issuers\`, got \`${String(name)}\``);
  // A second line of defence besides `exp - iat`: the verifier refuses any token older than this
  if (issuer.maxAgeSeconds === null || issuer.maxAgeSeconds > maxLifetimeSeconds) {
    throw new ConfigError(`token.issuers.${issuer.name}.maxAgeSeconds`, `expected at most ${maxLifetimeSeconds} (breakGlass.maxLifetimeSeconds) for the break-glass issuer, got \`${String(issuer.maxAgeSeconds)}\``);
  }
  if (token.issuers.size < 2) throw new ConfigError(`${field}.issuer`, "expected a dedicated issuer: `token.issuers` needs an everyday issuer besides it");
  return Object.freeze({ issuer: issuer.name, maxLifetimeSeconds });
}
