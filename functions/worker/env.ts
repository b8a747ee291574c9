import type { GatehouseConfig } from "../../shared/config/index.ts";
import { expectObject } from "../../shared/config/fields.ts";
import { ConfigError } from "../../shared/errors.ts";
import type { RoutesFile } from "../../shared/routes/index.ts";
import { kvJwksPersistence, type KvLike } from "../../shared/token/index.ts";
import { analyticsEngineMetrics, type AnalyticsEngineDataset } from "../../shared/metrics/analytics-engine.ts";
import type { DecisionMetrics } from "../../shared/metrics/observer.ts";

/** The Worker's bindings (see infra/wrangler.toml). */
export interface WorkerBindings {
  /** The `GatehouseConfig` as a JSON string (a `[vars]` string) or an object (a `[vars]` table). `routes` defaults to the bundled route file. */
  readonly GATEHOUSE_CONFIG?: string | Record<string, unknown>;
  /** A service binding to the origin Worker; preferred over `ORIGIN_URL`. */
  readonly ORIGIN?: { fetch(request: Request): Promise<Response> };
  /** The origin's base URL, e.g. `https://api.internal.example` (a path prefix is kept). */
  readonly ORIGIN_URL?: string;
  /** The KV namespace of the revocation list (`revocation.store.kind: "kv"`). */
  readonly REVOCATIONS?: unknown;
  /** Optional KV namespace that keeps fetched JWKS between isolates. */
  readonly JWKS_CACHE?: KvLike;
  /** The Analytics Engine dataset decision metrics go to (`metrics.binding` names another); absent: no metrics. */
  readonly GATEHOUSE_METRICS?: AnalyticsEngineDataset;
  /**
   * A path (e.g. `/__gatehouse/ready`) where `GET` answers the readiness check (key sets and
   * revocation store) as JSON, 200 or 503, instead of being authorized. Unset (default): no such path.
   * `gatehouse dev` sets it; in production, set it only to a path no client route uses.
   */
  readonly GATEHOUSE_READINESS_PATH?: string;
}

/** The Analytics Engine emitter for the binding `metrics.binding` names, or `null` when off or unbound. */
export function metricsFromEnv(env: WorkerBindings, config: GatehouseConfig): DecisionMetrics | null {
  const section = config.metrics;
  if (section?.enabled === false) return null;
  const dataset = (env as unknown as Record<string, unknown>)[section?.binding ?? "GATEHOUSE_METRICS"] as AnalyticsEngineDataset | undefined;
  return dataset !== undefined && dataset !== null && typeof dataset.writeDataPoint === "function" ? analyticsEngineMetrics(dataset) : null;
}

/** Reads `GATEHOUSE_CONFIG`, filling `routes` from the bundled route file when it has none. */
export function configFromEnv(env: WorkerBindings, bundledRoutes: RoutesFile): GatehouseConfig {
  const raw = env.GATEHOUSE_CONFIG;
  let parsed: unknown = raw;
  if (typeof raw === "string") {
    try {
      parsed = JSON.parse(raw);
    } catch {
      throw new ConfigError("GATEHOUSE_CONFIG", "expected a JSON object");
    }
  }
  // the configuration may hold secrets: a string (JSON encoded twice) is not echoed
  const config = expectObject(parsed, "GATEHOUSE_CONFIG", "the gatehouse configuration as a JSON object var", { secret: true });
  return (config.routes === undefined ? { ...config, routes: bundledRoutes } : config) as unknown as GatehouseConfig;
}

/** The JWKS persistence for `JWKS_CACHE`, when bound. */
export function jwksPersistenceFromEnv(env: WorkerBindings) {
  return env.JWKS_CACHE !== undefined ? kvJwksPersistence(env.JWKS_CACHE) : null;
}

/** Where allowed requests go: the `ORIGIN` service binding, or `ORIGIN_URL`. Checked once per isolate. */
export type Origin = { readonly kind: "service"; readonly fetcher: NonNullable<WorkerBindings["ORIGIN"]> } | { readonly kind: "url"; readonly base: string };

export function originFromEnv(env: WorkerBindings): Origin {
  if (env.ORIGIN !== undefined && typeof env.ORIGIN.fetch === "function") return { kind: "service", fetcher: env.ORIGIN };
  const raw = env.ORIGIN_URL;
  if (typeof raw !== "string" || raw === "") throw new ConfigError("ORIGIN_URL", "expected the origin's `https://` url, or an `ORIGIN` service binding");
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError("ORIGIN_URL", `expected an absolute \`http://\` or \`https://\` url, got \`${raw}\``);
  }
  if ((url.protocol !== "https:" && url.protocol !== "http:") || url.search !== "" || url.hash !== "" || url.username !== "" || url.password !== "") {
    throw new ConfigError("ORIGIN_URL", `expected an \`http://\` or \`https://\` url without query, fragment or credentials, got \`${raw}\``);
  }
  return { kind: "url", base: url.origin + url.pathname.replace(/\/+$/, "") };
}
