// The forward-auth server as a process: configuration from the environment, the compiled policy
// module from disk, one pipeline, one server. Run with `node --import tsx functions/node/main.ts`
// (or bundle it); stops cleanly on SIGINT and SIGTERM.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { stdoutSink, type AuditSink } from "../../shared/audit/index.ts";
import type { GatehouseConfig } from "../../shared/config/index.ts";
import { expectObject } from "../../shared/config/fields.ts";
import { ConfigError } from "../../shared/errors.ts";
import { validateConfig } from "../../shared/pipeline/index.ts";
import { createAuthorizerFrom } from "../../shared/pipeline/create-authorizer.ts";
import type { CompiledPolicySet } from "../../shared/policy/index.ts";
import { openStore, type RevocationStore } from "../../shared/revocation/index.ts";
import { openEntityDeps } from "../../shared/entities/open-source.ts";
import { nodeStores } from "../stores/registry.ts";
import type { ClientIpSource, ProxyKind } from "./options.ts";
import { startForwardAuthServer, type ForwardAuthServer } from "./server.ts";
import { prometheusMetrics } from "./metrics.ts";
import { startOpsServer, type OpsServer } from "./ops-server.ts";
import { otlpSettings } from "./otlp-settings.ts";

/**
 * Starts the server from `env`:
 * - `GATEHOUSE_CONFIG_FILE` (a `GatehouseConfig` JSON file) or `GATEHOUSE_CONFIG` (the JSON itself); required.
 * - `GATEHOUSE_ROUTES_FILE`: route table for a configuration without `routes`; default `policies/routes.json`.
 * - `GATEHOUSE_POLICIES`: the compiled policy module (`gatehouse build`); default `dist/policies.js`.
 * - #18 `GATEHOUSE_SHADOW_POLICIES`: the compiled candidate module (`gatehouse build --shadow DIR`) for shadow
 *   mode and a `rollout` canary; default none.
 * - `GATEHOUSE_PROXY` (`nginx`, `traefik` or `envoy`; required), `GATEHOUSE_PATH_PREFIX` (Envoy),
 *   `GATEHOUSE_CLIENT_IP` (`socket`, `x-forwarded-for`, `x-real-ip`; default `socket`).
 * - `GATEHOUSE_CLIENT_CERT_HEADER`: the header in which the proxy passes the verified client certificate (#20); default none.
 * - `HOST` (default `127.0.0.1`) and `PORT` (default 9000).
 * - #19 `GATEHOUSE_OPS_PORT`: the port of `/metrics`, `/health` and `/ready` (on `HOST`); default
 *   `metrics.port` when the configuration sets it, else no ops server (the process entry defaults it to
 *   9464, or to a free port with `PORT=0`).
 * - `OTEL_EXPORTER_OTLP_METRICS_ENDPOINT` (the whole URL) or `OTEL_EXPORTER_OTLP_ENDPOINT` (a base, `/v1/metrics`
 *   added), `OTEL_METRIC_EXPORT_INTERVAL`, `OTEL_METRIC_EXPORT_TIMEOUT`, `OTEL_SERVICE_NAME`: an OTLP/HTTP
 *   metrics export, under `metrics.otlp` (which may also turn it on, or off with `null`); default none.
 * `deps.auditSink` replaces the default stdout sink (tests). Throws `ConfigError` naming the variable or field.
 */
export async function startFromEnv(env: Readonly<Record<string, string | undefined>> = process.env, deps: { readonly auditSink?: AuditSink; readonly defaultOpsPort?: number } = {}): Promise<ForwardAuthServer & { readonly opsUrl: string | null }> {
  const config = readConfig(env);
  // The whole configuration first: a bad store kind must name itself, not fail inside a store factory (#21)
  const resolved = validateConfig(config);
  const policiesPath = resolve(env.GATEHOUSE_POLICIES ?? "dist/policies.js");
  const policies = await loadPolicies(policiesPath, "GATEHOUSE_POLICIES");
  const opened: RevocationStore | undefined = resolved.revocation ? (await openStore(nodeStores, resolved.revocation.store, { env })).store : undefined;
  // The entity source beside it (one client when both name the same store)
  const stores = await openEntityDeps(nodeStores, resolved, opened, { env });
  const revocationStore = stores.revocationStore;
  // The policy bundle store, when the configuration publishes policies without a deploy
  const policyBundleStore: RevocationStore | undefined = resolved.policyBundle ? (await openStore(nodeStores, resolved.policyBundle.store, { env }, "policyBundle.store")).store : undefined;
  const metrics = resolved.metrics.enabled ? prometheusMetrics() : null;
  // Decided before anything listens, so a bad endpoint stops the start; OpenTelemetry loads only when needed
  const otlp = otlpSettings(resolved.metrics, (config as { metrics?: { otlp?: unknown } }).metrics?.otlp === null, env);
  const otlpExport = metrics !== null && otlp !== null ? await (await import("./otlp-export.ts")).startOtlpExport(metrics, otlp) : null;
  const breakGlassPolicies = resolved.breakGlass === null ? null : await loadPolicies(env.GATEHOUSE_BREAK_GLASS_POLICIES ?? "dist/break-glass/policies.js", "GATEHOUSE_BREAK_GLASS_POLICIES");
  // The candidate set for shadow mode and a canary rollout
  const shadowPolicies = env.GATEHOUSE_SHADOW_POLICIES ? await loadPolicies(env.GATEHOUSE_SHADOW_POLICIES, "GATEHOUSE_SHADOW_POLICIES") : null;
  // Validated above; the authorizer takes that result rather than checking the whole configuration again
  const authorize = createAuthorizerFrom(config, resolved, { policies, auditSink: deps.auditSink ?? stdoutSink(), ...stores, ...(policyBundleStore ? { policyBundleStore } : {}), metrics, breakGlassPolicies, shadowPolicies });
  const port = env.PORT === undefined ? 9000 : Number(env.PORT);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigError("PORT", `expected an integer from 0 to 65535, got \`${env.PORT}\``);
  const opsPortText = env.GATEHOUSE_OPS_PORT ?? ((config as { metrics?: { port?: number } }).metrics?.port !== undefined ? String(resolved.metrics.port) : deps.defaultOpsPort?.toString());
  const opsPort = opsPortText === undefined ? null : Number(opsPortText);
  if (opsPort !== null && (!Number.isInteger(opsPort) || opsPort < 0 || opsPort > 65535)) throw new ConfigError("GATEHOUSE_OPS_PORT", `expected an integer from 0 to 65535, got \`${opsPortText}\``);
  const server = await startForwardAuthServer(authorize, {
    proxy: env.GATEHOUSE_PROXY as ProxyKind,
    pathPrefix: env.GATEHOUSE_PATH_PREFIX,
    clientIp: env.GATEHOUSE_CLIENT_IP as ClientIpSource | undefined,
    ...(env.GATEHOUSE_CLIENT_CERT_HEADER ? { clientCertHeader: env.GATEHOUSE_CLIENT_CERT_HEADER } : {}),
    flush: () => authorize.flush(),
    port,
    hostname: env.HOST ?? "127.0.0.1",
  }).catch(async (error: unknown) => {
    await otlpExport?.shutdown();
    throw error;
  });
  let ops: OpsServer | null = null;
  try {
    ops = opsPort === null ? null : await startOpsServer({ metrics, readiness: () => authorize.readiness(), port: opsPort, hostname: env.HOST ?? "127.0.0.1" });
  } catch (error) {
    await server.close();
    await otlpExport?.shutdown();
    throw error;
  }
  return {
    ...server,
    opsUrl: ops?.url ?? null,
    close: async () => {
      await Promise.all([server.close(), ops?.close()]);
      // After the last decision: the final export carries every request answered
      await otlpExport?.shutdown();
      await revocationStore?.close?.();
      await policyBundleStore?.close?.();
    },
  };
}

async function loadPolicies(path: string, variable: string): Promise<CompiledPolicySet> {
  const full = resolve(path);
  try {
    return ((await import(pathToFileURL(full).href)) as { default: CompiledPolicySet }).default;
  } catch {
    throw new ConfigError(variable, `expected a compiled policy module at \`${full}\` (run \`gatehouse build\`)`);
  }
}

function readConfig(env: Readonly<Record<string, string | undefined>>): GatehouseConfig {
  let text = env.GATEHOUSE_CONFIG;
  const field = env.GATEHOUSE_CONFIG_FILE ? "GATEHOUSE_CONFIG_FILE" : "GATEHOUSE_CONFIG";
  if (env.GATEHOUSE_CONFIG_FILE) {
    try {
      text = readFileSync(env.GATEHOUSE_CONFIG_FILE, "utf8");
    } catch {
      throw new ConfigError(field, `expected a readable file, got \`${env.GATEHOUSE_CONFIG_FILE}\``);
    }
  }
  if (!text) throw new ConfigError("GATEHOUSE_CONFIG_FILE", "expected the path of the gatehouse configuration, or `GATEHOUSE_CONFIG` holding it");
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ConfigError(field, "expected the gatehouse configuration as a JSON object");
  }
  // the configuration may hold secrets: a string (JSON encoded twice) is not echoed
  const config = expectObject(parsed, field, "the gatehouse configuration as a JSON object", { secret: true });
  if (config.routes !== undefined) return config as unknown as GatehouseConfig;
  const routesFile = env.GATEHOUSE_ROUTES_FILE ?? "policies/routes.json";
  try {
    return { ...config, routes: JSON.parse(readFileSync(routesFile, "utf8")) } as unknown as GatehouseConfig;
  } catch {
    throw new ConfigError("GATEHOUSE_ROUTES_FILE", `expected a JSON route table at \`${routesFile}\``);
  }
}

/** Runs the server as a process (this file, or the package's `gatehouse-forward-auth` bin): stops on SIGINT/SIGTERM, exits 1 on a configuration error. */
export async function serveFromEnv(): Promise<void> {
  try {
    // `PORT=0` (a free port, as tests ask) picks a free ops port too, rather than a fixed 9464
    const server = await startFromEnv(process.env, { defaultOpsPort: process.env.PORT === "0" ? 0 : 9464 });
    console.error(`gatehouse forward-auth listening on ${server.url}${server.opsUrl ? ` (metrics and readiness on ${server.opsUrl})` : ""}`);
    const stop = () => void server.close().then(() => process.exit(0));
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`gatehouse forward-auth: ${error.message}`);
      process.exit(1);
    }
    throw error;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) await serveFromEnv();
