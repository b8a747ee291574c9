import { expectObject, refuseUnknownOptions } from "../config/fields.ts";
import { ConfigError } from "../errors.ts";

/**
 * `metrics.otlp`: the forward-auth server also pushes its metrics over OTLP/HTTP (JSON) to an
 * OpenTelemetry collector. Absent: on only when the environment names an endpoint
 * (`OTEL_EXPORTER_OTLP_METRICS_ENDPOINT` or `OTEL_EXPORTER_OTLP_ENDPOINT`); `null`: off, whatever
 * the environment says. The Worker and the Lambda authorizer ignore it (they emit natively).
 */
export interface OtlpMetricsConfig {
  /** The full URL the export is POSTed to, e.g. `http://collector:4318/v1/metrics`; default from the environment, else a start-up error. */
  readonly endpoint?: string;
  /** Time between exports, in ms, from 1000 to 3600000; default `OTEL_METRIC_EXPORT_INTERVAL`, else 60000. */
  readonly intervalMs?: number;
  /** Deadline of one export, in ms, from 100 to 60000 and at most `intervalMs`; default `OTEL_METRIC_EXPORT_TIMEOUT`, else 30000 capped at `intervalMs`. */
  readonly timeoutMs?: number;
  /** Extra request headers (e.g. an API key of the collector), over `OTEL_EXPORTER_OTLP_METRICS_HEADERS`/`OTEL_EXPORTER_OTLP_HEADERS`; default none. */
  readonly headers?: Readonly<Record<string, string>>;
}

/** `metrics.otlp` as written, checked; `null` fields are left to the environment or the default. */
export interface ResolvedOtlpMetricsConfig {
  readonly endpoint: string | null;
  readonly intervalMs: number | null;
  readonly timeoutMs: number | null;
  readonly headers: Readonly<Record<string, string>>;
}

const KNOWN = ["endpoint", "intervalMs", "timeoutMs", "headers"];
// RFC 9110 field-name token characters
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,256}$/;

/** Checks `metrics.otlp` (not `null` or absent); throws a `ConfigError` naming the field. */
export function resolveOtlpMetricsConfig(raw: unknown, field = "metrics.otlp"): ResolvedOtlpMetricsConfig {
  const config = expectObject(raw, field, "an object or `null`");
  refuseUnknownOptions(config, field, KNOWN);
  const endpoint = config.endpoint ?? null;
  if (endpoint !== null) checkOtlpEndpoint(endpoint, `${field}.endpoint`);
  const intervalMs = optionalInteger(config.intervalMs, `${field}.intervalMs`, 1000, 3_600_000);
  const timeoutMs = optionalInteger(config.timeoutMs, `${field}.timeoutMs`, 100, 60_000);
  if (intervalMs !== null && timeoutMs !== null && timeoutMs > intervalMs) throw new ConfigError(`${field}.timeoutMs`, `expected at most \`intervalMs\` (${intervalMs}), got \`${timeoutMs}\``);
  // an `OTEL_EXPORTER_OTLP_HEADERS` line pasted here carries a key: the message leaves it out
  const headers = expectObject(config.headers ?? {}, `${field}.headers`, "an object of header names to string values", { secret: true });
  for (const [name, value] of Object.entries(headers)) {
    if (!HEADER_NAME.test(name)) throw new ConfigError(`${field}.headers`, `expected header names, got \`${name}\``);
    // the value may be a secret: the message names the header only
    if (typeof value !== "string" || /[\r\n\0]/.test(value)) throw new ConfigError(`${field}.headers.${name}`, "expected a string without line breaks");
  }
  return Object.freeze({ endpoint: endpoint as string | null, intervalMs, timeoutMs, headers: Object.freeze({ ...(headers as Record<string, string>) }) });
}

/** Throws unless `value` is an absolute `http:` or `https:` URL (the OTLP/HTTP endpoint). */
export function checkOtlpEndpoint(value: unknown, field: string): asserts value is string {
  let url: URL | null = null;
  try {
    url = typeof value === "string" ? new URL(value) : null;
  } catch {
    url = null;
  }
  if (url === null || (url.protocol !== "http:" && url.protocol !== "https:")) throw new ConfigError(field, `expected an \`http:\` or \`https:\` URL, got \`${String(value)}\``);
}

function optionalInteger(value: unknown, field: string, min: number, max: number): number | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) throw new ConfigError(field, `expected an integer from ${min} to ${max}, got \`${String(value)}\``);
  return value;
}
