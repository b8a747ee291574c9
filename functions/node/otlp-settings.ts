// Where and how often the forward-auth server pushes OTLP metrics: `metrics.otlp` first, then
// OpenTelemetry's environment variables (https://opentelemetry.io/docs/specs/otel/protocol/exporter/
// and the SDK's OTEL_METRIC_EXPORT_*). Read at start, without loading OpenTelemetry.
import { ConfigError } from "../../shared/errors.ts";
import type { ResolvedMetricsConfig } from "../../shared/metrics/config.ts";
import { checkOtlpEndpoint } from "../../shared/metrics/otlp-config.ts";

/** A decided OTLP export. */
export interface OtlpSettings {
  /** The full URL the JSON export is POSTed to. */
  readonly endpoint: string;
  readonly intervalMs: number;
  readonly timeoutMs: number;
  /** From `metrics.otlp.headers`; the exporter adds `OTEL_EXPORTER_OTLP_*HEADERS` of the process environment under them. */
  readonly headers: Readonly<Record<string, string>>;
  /** The resource's `service.name`: `OTEL_SERVICE_NAME`, else `gatehouse-forward-auth`. */
  readonly serviceName: string;
}

const DEFAULT_INTERVAL_MS = 60_000;
const DEFAULT_TIMEOUT_MS = 30_000;

/**
 * Decides the export, or `null` for none: metrics off, `metrics.otlp: null`, or neither the section
 * nor the environment names an endpoint. `configuredOff` is whether the file wrote `otlp: null`
 * (the resolved section cannot tell it from absent). Throws `ConfigError` naming the field or variable.
 */
export function otlpSettings(metrics: ResolvedMetricsConfig, configuredOff: boolean, env: Readonly<Record<string, string | undefined>>): OtlpSettings | null {
  if (!metrics.enabled || configuredOff) return null;
  const section = metrics.otlp;
  const endpoint = section?.endpoint ?? endpointFromEnv(env);
  if (endpoint === null) {
    if (section === null) return null;
    throw new ConfigError("metrics.otlp.endpoint", "expected a URL, or `OTEL_EXPORTER_OTLP_METRICS_ENDPOINT` or `OTEL_EXPORTER_OTLP_ENDPOINT` in the environment");
  }
  // We send JSON; a collector's OTLP/HTTP receiver takes JSON and protobuf on the same path, but not gRPC
  for (const name of ["OTEL_EXPORTER_OTLP_METRICS_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL"]) {
    const protocol = env[name];
    if (protocol === undefined || protocol === "") continue;
    if (protocol !== "http/json" && protocol !== "http/protobuf") throw new ConfigError(name, `expected \`http/json\` (or \`http/protobuf\`, sent as JSON), got \`${protocol}\``);
    break;
  }
  const intervalMs = section?.intervalMs ?? envInteger(env, "OTEL_METRIC_EXPORT_INTERVAL", 1000, 3_600_000) ?? DEFAULT_INTERVAL_MS;
  const timeoutMs = Math.min(section?.timeoutMs ?? envInteger(env, "OTEL_METRIC_EXPORT_TIMEOUT", 100, 60_000) ?? DEFAULT_TIMEOUT_MS, intervalMs);
  const serviceName = env.OTEL_SERVICE_NAME || "gatehouse-forward-auth";
  return Object.freeze({ endpoint, intervalMs, timeoutMs, headers: section?.headers ?? {}, serviceName });
}

function endpointFromEnv(env: Readonly<Record<string, string | undefined>>): string | null {
  // The signal's own variable is the whole URL; the general one is a base to which the signal path is added
  const own = env.OTEL_EXPORTER_OTLP_METRICS_ENDPOINT;
  if (own) {
    checkOtlpEndpoint(own, "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT");
    return own;
  }
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT;
  if (!base) return null;
  checkOtlpEndpoint(base, "OTEL_EXPORTER_OTLP_ENDPOINT");
  return base.replace(/\/+$/, "") + "/v1/metrics";
}

function envInteger(env: Readonly<Record<string, string | undefined>>, name: string, min: number, max: number): number | null {
  const text = env[name];
  if (text === undefined || text === "") return null;
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max) throw new ConfigError(name, `expected an integer from ${min} to ${max}, got \`${text}\``);
  return value;
}
