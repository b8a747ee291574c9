import { expectObject, refuseUnknownOptions } from "../config/fields.ts";
import { ConfigError } from "../errors.ts";
import { resolveOtlpMetricsConfig, type OtlpMetricsConfig, type ResolvedOtlpMetricsConfig } from "./otlp-config.ts";

/**
 * The `metrics` section (issue #19). Each adapter emits natively: the Lambda authorizer CloudWatch
 * EMF lines on stdout, the Worker Analytics Engine data points through a binding, the forward-auth
 * server a Prometheus `/metrics` endpoint on its own port. Every option has a default.
 */
export interface MetricsConfig {
  /** Whether decisions are counted; default `true`. */
  readonly enabled?: boolean;
  /** Lambda: the CloudWatch namespace of the EMF metrics; default `Gatehouse`, 1 to 255 characters. */
  readonly namespace?: string;
  /** Worker: the name of the Analytics Engine dataset binding; default `GATEHOUSE_METRICS`. Absent binding: no metrics. */
  readonly binding?: string;
  /** Forward-auth: the port of `/metrics`, `/health` and `/ready`, 1 to 65535 (0: a free one); default 9464. */
  readonly port?: number;
  /** Forward-auth: also push the metrics over OTLP/HTTP; absent: only when the environment names an endpoint; `null`: off. See `OtlpMetricsConfig`. */
  readonly otlp?: OtlpMetricsConfig | null;
}

/** A `MetricsConfig` with defaults filled in. */
export interface ResolvedMetricsConfig {
  readonly enabled: boolean;
  readonly namespace: string;
  readonly binding: string;
  readonly port: number;
  /** `metrics.otlp` checked; `null` when absent or `null` (the forward-auth entry tells them apart for the environment). */
  readonly otlp: ResolvedOtlpMetricsConfig | null;
}

const KNOWN = ["enabled", "namespace", "binding", "port", "otlp"];
const NAMESPACE = /^[A-Za-z0-9.\-_/#:]{1,255}$/;
const BINDING = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/** Checks the section once at start; throws a `ConfigError` naming the field. */
export function resolveMetricsConfig(raw: unknown, field = "metrics"): ResolvedMetricsConfig {
  const config: Record<string, unknown> = raw === undefined || raw === null ? {} : expectObject(raw, field);
  refuseUnknownOptions(config, field, KNOWN);
  const enabled = config.enabled ?? true;
  if (typeof enabled !== "boolean") throw new ConfigError(`${field}.enabled`, "expected `true` or `false`");
  const namespace = config.namespace ?? "Gatehouse";
  if (typeof namespace !== "string" || !NAMESPACE.test(namespace)) throw new ConfigError(`${field}.namespace`, "expected a CloudWatch namespace of 1 to 255 characters (letters, digits, `.-_/#:`)");
  const binding = config.binding ?? "GATEHOUSE_METRICS";
  if (typeof binding !== "string" || !BINDING.test(binding)) throw new ConfigError(`${field}.binding`, "expected a binding name (letters, digits, `_`)");
  const port = config.port ?? 9464;
  if (typeof port !== "number" || !Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigError(`${field}.port`, `expected an integer from 0 to 65535, got \`${String(port)}\``);
  const otlp = config.otlp === undefined || config.otlp === null ? null : resolveOtlpMetricsConfig(config.otlp, `${field}.otlp`);
  return Object.freeze({ enabled, namespace, binding, port, otlp });
}
