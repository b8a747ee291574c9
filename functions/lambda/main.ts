// The deployed function's start-up: read the configuration, build the store, the pipeline and the
// handler once per sandbox. `npm run build:lambda` generates the entry that calls this with the
// compiled policies and route table, and exports the result as `handler`.
import { stdoutSink } from "../../shared/audit/index.ts";
import type { GatehouseConfig } from "../../shared/config/index.ts";
import { expectObject } from "../../shared/config/fields.ts";
import { ConfigError } from "../../shared/errors.ts";
import { resolveConfig } from "../../shared/config/resolve.ts";
import { createAuthorizerFrom } from "../../shared/pipeline/create-authorizer.ts";
import type { CompiledPolicySet } from "../../shared/policy/index.ts";
import { openStore } from "../../shared/revocation/registry.ts";
import { openEntityDeps } from "../../shared/features/index.ts";
import type { RevocationStore } from "../../shared/revocation/store.ts";
import type { RoutesFile } from "../../shared/routes/index.ts";
import { nodeStores } from "../stores/registry.ts";
import { createLambdaHandler, type HttpApiCacheCheck, type LambdaHandler } from "./handler.ts";
import { emfMetrics } from "../../shared/metrics/emf.ts";

/** What the build bundles in. */
export interface LambdaEntryInput {
  /** The compiled policy module. */
  readonly policies: CompiledPolicySet;
  /** Shadow mode: the candidate policy module (`build:lambda -- --shadow DIR`), or `null`/absent for none. */
  readonly shadowPolicies?: CompiledPolicySet | null;
  /** The route table, used when the configuration has no `routes`. */
  readonly routes: RoutesFile;
  /** The configuration given at build time (`--config`), if any; `GATEHOUSE_CONFIG` overrides it. */
  readonly config?: unknown;
  /**
   * Whether `config`, with `routes` added as `withRoutes` adds them, passed the configuration
   * schema at build time (`build:lambda` sets it); the stages' own checks run at start either way.
   * Default false.
   */
  readonly configSchemaChecked?: boolean;
  /** The dedicated break-glass policy module, required with `config.breakGlass`. */
  readonly breakGlassPolicies?: CompiledPolicySet | null;
  /** The environment; default `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/**
 * Builds the handler, once, at module start (the Lambda init phase), so a bad configuration fails
 * the init with a `ConfigError` naming the field instead of denying requests one by one.
 *
 * Environment: `GATEHOUSE_CONFIG` (the `GatehouseConfig` as JSON; overrides the bundled one),
 * `GATEHOUSE_HTTP_API_CACHE` (`require_route`, the default, or `off`; see `HttpApiCacheCheck`), and
 * `GATEHOUSE_AUTHORIZER_CACHE_TTL` (the API Gateway authorizer cache TTL in seconds, as the
 * template sets it; with `breakGlass` configured it must be `0`, so an emergency allow is never
 * reused past its token's minutes), each store's own variables (`GATEHOUSE_REVOCATION_TABLE`, `GATEHOUSE_REDIS_URL`, `UPSTASH_REDIS_REST_*`).
 * The Upstash, Redis and DynamoDB clients are loaded only when the configuration names them.
 */
export async function createLambdaEntry(input: LambdaEntryInput): Promise<LambdaHandler> {
  const env = input.env ?? process.env;
  const fromEnv = env.GATEHOUSE_CONFIG !== undefined && env.GATEHOUSE_CONFIG !== "";
  const config = withRoutes(fromEnv ? parseConfig(env.GATEHOUSE_CONFIG!) : input.config, input.routes);
  // The whole configuration first, before any store or sink is built (#21); once, and without the
  // schema (a chunk of its own, with valibot) for a bundled configuration the build held against it
  const schemaChecked = !fromEnv && input.configSchemaChecked === true;
  const resolved = resolveConfig(config, schemaChecked ? null : (await import("../../shared/config/check-schema.ts")).checkSchema);
  const httpApiCache = env.GATEHOUSE_HTTP_API_CACHE ?? "require_route";
  if (httpApiCache !== "require_route" && httpApiCache !== "off") {
    throw new ConfigError("GATEHOUSE_HTTP_API_CACHE", `expected \`require_route\` or \`off\`, got \`${httpApiCache}\``);
  }
  // A cached break-glass allow would outlive its token: refuse to start unless caching is off
  if (resolved.breakGlass !== null && env.GATEHOUSE_AUTHORIZER_CACHE_TTL !== "0") {
    throw new ConfigError("GATEHOUSE_AUTHORIZER_CACHE_TTL", `expected \`0\` (API Gateway authorizer caching off) with \`breakGlass\` configured, got \`${env.GATEHOUSE_AUTHORIZER_CACHE_TTL ?? "nothing"}\``);
  }
  // The registry loads the Upstash, Redis or DynamoDB client only when the configuration names it
  const store = resolved.revocation?.store;
  const revocationStore: RevocationStore | undefined = store ? (await openStore(nodeStores, store, { env })).store : undefined;
  const stores = await openEntityDeps(nodeStores, resolved, revocationStore, { env });
  // The bare JSON line: Lambda's console.log would prefix it with a timestamp and request id
  const auditSink = stdoutSink({ writeLine: (line) => process.stdout.write(`${line}\n`) });
  // The policy bundle store, when the configuration publishes policies without a deploy
  const policyBundleStore: RevocationStore | undefined = resolved.policyBundle ? (await openStore(nodeStores, resolved.policyBundle.store, { env }, "policyBundle.store")).store : undefined;
  // EMF documents on stdout, written once per invocation by the handler's flush
  const metrics = resolved.metrics.enabled ? emfMetrics({ writeLine: (line) => process.stdout.write(`${line}\n`), namespace: resolved.metrics.namespace }) : null;
  const authorize = createAuthorizerFrom(config, resolved, {
    policies: input.policies, shadowPolicies: input.shadowPolicies ?? null, auditSink, ...stores,
    ...(policyBundleStore ? { policyBundleStore } : {}), metrics, breakGlassPolicies: input.breakGlassPolicies ?? null,
  });
  return createLambdaHandler(authorize, { flush: () => authorize.flush(), httpApiCache: httpApiCache as HttpApiCacheCheck });
}

function parseConfig(fromEnv: string): unknown {
  try {
    return JSON.parse(fromEnv);
  } catch {
    throw new ConfigError("GATEHOUSE_CONFIG", "expected the gatehouse configuration as a JSON object");
  }
}

/** The configuration as the function runs it: the bundled route table added when it names none. */
export function withRoutes(parsed: unknown, routes: RoutesFile): GatehouseConfig {
  // the configuration may hold secrets: a string (JSON encoded twice) is not echoed
  const config = expectObject(parsed, "GATEHOUSE_CONFIG", "the gatehouse configuration as a JSON object, in the environment or bundled with `--config`", { secret: true });
  return (config.routes === undefined ? { ...config, routes } : config) as unknown as GatehouseConfig;
}
