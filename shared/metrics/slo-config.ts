import { expectObject, refuseUnknownOptions } from "../config/fields.ts";
import { ConfigError } from "../errors.ts";
import { LATENCY_BUCKETS_MS, REVOCATION_AGE_BUCKETS_S } from "./buckets.ts";

/**
 * The `slo` section (#19): service-level objectives as code. The authorizer does not read it at run
 * time; `gatehouse slo` turns it into multi-window burn-rate alerts (Prometheus rules, CloudWatch
 * alarms) and dashboards. Every option has a default.
 */
export interface SloConfig {
  /** Fraction of decisions that are not errors (status 503: a dependency down or a bug), from 0.9 to 0.99999; default 0.999. */
  readonly availability?: number;
  /** Fraction of decisions faster than `latencyThresholdMs`, from 0.5 to 0.9999; default 0.95 (a p95 objective). */
  readonly latency?: number;
  /** The latency bound, in ms; one of the histogram's bucket bounds (0.05 to 100); default 5. */
  readonly latencyThresholdMs?: number;
  /** The SLO window, in days, from 7 to 90; default 30. Burn rates are relative to it. */
  readonly windowDays?: number;
  /**
   * Time to revoke: the oldest revocation answer a decision may rest on, in seconds; one of the age
   * histogram's bounds above 0 (1 to 600); default 10. Any older answer alerts. Keep it at or above
   * the revocation `ttlMs`: a cached answer lives that long, a `stale` one longer.
   */
  readonly revocationAgeSeconds?: number;
}

/** The section with defaults filled in. */
export interface ResolvedSloConfig {
  readonly availability: number;
  readonly latency: number;
  readonly latencyThresholdMs: number;
  readonly windowDays: number;
  readonly revocationAgeSeconds: number;
}

const KNOWN = ["availability", "latency", "latencyThresholdMs", "windowDays", "revocationAgeSeconds"];
const AGE_BOUNDS = REVOCATION_AGE_BUCKETS_S.filter((s) => s > 0);

/** Checks the section; throws a `ConfigError` naming the field. */
export function resolveSloConfig(raw: unknown, field = "slo"): ResolvedSloConfig {
  const config: Record<string, unknown> = raw === undefined || raw === null ? {} : expectObject(raw, field);
  refuseUnknownOptions(config, field, KNOWN);
  const fraction = (key: string, fallback: number, min: number, max: number) => {
    const value = config[key] ?? fallback;
    if (typeof value !== "number" || !(value >= min && value <= max)) throw new ConfigError(`${field}.${key}`, `expected a fraction from ${min} to ${max}, got \`${String(value)}\``);
    return value;
  };
  const latencyThresholdMs = config.latencyThresholdMs ?? 5;
  if (typeof latencyThresholdMs !== "number" || !LATENCY_BUCKETS_MS.includes(latencyThresholdMs)) {
    throw new ConfigError(`${field}.latencyThresholdMs`, `expected one of the latency bucket bounds (${LATENCY_BUCKETS_MS.join(", ")}), got \`${String(latencyThresholdMs)}\``);
  }
  const windowDays = config.windowDays ?? 30;
  if (typeof windowDays !== "number" || !Number.isInteger(windowDays) || windowDays < 7 || windowDays > 90) throw new ConfigError(`${field}.windowDays`, `expected an integer from 7 to 90, got \`${String(windowDays)}\``);
  const revocationAgeSeconds = config.revocationAgeSeconds ?? 10;
  if (typeof revocationAgeSeconds !== "number" || !AGE_BOUNDS.includes(revocationAgeSeconds)) {
    throw new ConfigError(`${field}.revocationAgeSeconds`, `expected one of the revocation age bucket bounds (${AGE_BOUNDS.join(", ")}), got \`${String(revocationAgeSeconds)}\``);
  }
  return Object.freeze({ availability: fraction("availability", 0.999, 0.9, 0.99999), latency: fraction("latency", 0.95, 0.5, 0.9999), latencyThresholdMs, windowDays, revocationAgeSeconds });
}
