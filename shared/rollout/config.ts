import { expectObject, refuseUnknownOptions } from "../config/fields.ts";
import { ConfigError } from "../errors.ts";

/**
 * The `rollout` section (#18): the candidate policy set (`shadowPolicies`) enforces for a slice of
 * principals, and is rolled back automatically when it misbehaves. Without it, a candidate is only
 * a shadow. See docs/rollout.md.
 */
export interface RolloutConfig {
  /** Who the candidate decides for. */
  readonly canary: {
    /**
     * Share of principals, from 0 to 1; default 0. A principal is in the slice when a hash of the
     * candidate's version and its uid falls below the share, so it stays in (or out) for that
     * candidate, and a new candidate draws a new slice.
     */
    readonly share?: number;
    /** Tenants (the principal's `tenant` attribute) the candidate decides for in full; default none, at most 1000. */
    readonly tenants?: readonly string[];
  };
  /**
   * When the isolate switches back to the stable set; `null` switches automatic rollback off, in
   * writing. Default: every option's default.
   */
  readonly rollback?: RollbackConfig | null;
}

/** The automatic rollback rule. Either condition rolls back. */
export interface RollbackConfig {
  /**
   * Largest share of canary requests where the candidate denies what the stable set allows, over the
   * window, from 0 to 1; default 0.01. Exceeding it rolls back once the window holds `minRequests`.
   */
  readonly maxDenyRate?: number;
  /** Canary requests the window must hold before the rate is judged, 1 to 1,000,000; default 200. */
  readonly minRequests?: number;
  /** Length of the sliding window, in seconds, 1 to 3600; default 60. */
  readonly windowSeconds?: number;
  /** Whether one candidate `forbid` policy that errors on a canary request rolls back at once; default `true`. */
  readonly onForbidError?: boolean;
  /**
   * Share the rollback through the revocation store (KV, Redis, Upstash, DynamoDB): an isolate that
   * rolls back writes a flag there, and every isolate reads it at most every `ttlSeconds` (1 to 3600),
   * off the request path; default `null` (each isolate decides alone). Needs a `revocation` store.
   */
  readonly shared?: { readonly ttlSeconds: number } | null;
}

/** A `RolloutConfig` checked, with defaults filled in. */
export interface ResolvedRolloutConfig {
  readonly share: number;
  readonly tenants: ReadonlySet<string>;
  readonly rollback: {
    readonly maxDenyRate: number;
    readonly minRequests: number;
    readonly windowMs: number;
    readonly onForbidError: boolean;
    readonly sharedTtlMs: number | null;
  } | null;
}

const MAX_TENANTS = 1000;

/** Checks the `rollout` section; throws a `ConfigError` naming the first bad field. */
export function resolveRolloutConfig(raw: unknown, field = "rollout"): ResolvedRolloutConfig {
  const config = expectObject(raw, field);
  refuseUnknownOptions(config, field, ["canary", "rollback"]);
  const canary = expectObject(config.canary, `${field}.canary`);
  refuseUnknownOptions(canary, `${field}.canary`, ["share", "tenants"]);
  const share = fraction(canary.share, `${field}.canary.share`, 0);
  const tenantsRaw = canary.tenants ?? [];
  if (!Array.isArray(tenantsRaw) || tenantsRaw.length > MAX_TENANTS) throw new ConfigError(`${field}.canary.tenants`, `expected an array of at most ${MAX_TENANTS} tenant names`);
  tenantsRaw.forEach((tenant: unknown, i: number) => {
    if (typeof tenant !== "string" || tenant.length === 0) throw new ConfigError(`${field}.canary.tenants[${i}]`, "expected a tenant name");
  });
  const tenants = new Set(tenantsRaw as string[]);
  if (share === 0 && tenants.size === 0) throw new ConfigError(`${field}.canary`, "expected a `share` above 0 or at least one tenant in `tenants`");

  let rollback: ResolvedRolloutConfig["rollback"] = null;
  if (config.rollback !== null) {
    const rule = config.rollback === undefined ? {} : expectObject(config.rollback, `${field}.rollback`);
    refuseUnknownOptions(rule, `${field}.rollback`, ["maxDenyRate", "minRequests", "windowSeconds", "onForbidError", "shared"]);
    const onForbidError = rule.onForbidError ?? true;
    if (typeof onForbidError !== "boolean") throw new ConfigError(`${field}.rollback.onForbidError`, "expected `true` or `false`");
    let sharedTtlMs: number | null = null;
    if (rule.shared !== undefined && rule.shared !== null) {
      const shared = expectObject(rule.shared, `${field}.rollback.shared`);
      refuseUnknownOptions(shared, `${field}.rollback.shared`, ["ttlSeconds"]);
      sharedTtlMs = integer(shared.ttlSeconds, `${field}.rollback.shared.ttlSeconds`, undefined, 1, 3600) * 1000;
    }
    rollback = Object.freeze({
      maxDenyRate: fraction(rule.maxDenyRate, `${field}.rollback.maxDenyRate`, 0.01),
      minRequests: integer(rule.minRequests, `${field}.rollback.minRequests`, 200, 1, 1_000_000),
      windowMs: integer(rule.windowSeconds, `${field}.rollback.windowSeconds`, 60, 1, 3600) * 1000,
      onForbidError,
      sharedTtlMs,
    });
  }
  return Object.freeze({ share, tenants, rollback });
}

function fraction(value: unknown, field: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !(value >= 0 && value <= 1)) throw new ConfigError(field, `expected a number from 0 to 1, got \`${String(value)}\``);
  return value;
}

function integer(value: unknown, field: string, fallback: number | undefined, min: number, max: number): number {
  if (value === undefined && fallback !== undefined) return fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) throw new ConfigError(field, `expected an integer from ${min} to ${max}, got \`${String(value)}\``);
  return value;
}
