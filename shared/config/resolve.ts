import { resolveAuditConfig } from "../audit/configure.ts";
import { ConfigError, describeValue as show } from "../errors.ts";
import { resolveRevocationConfig } from "../revocation/config.ts";
// Optional features' sections: a build without one refuses the section here, unread
import { resolveEntitiesConfig, resolvePolicyBundleConfig, resolveRolloutConfig } from "../features/index.ts";
import { compileRoutes } from "../routes/compile.ts";
import { DEFAULT_PATH_LIMITS } from "../routes/normalize.ts";
import { validateTokenConfig } from "../token/config.ts";
import type { FailMode, ResolvedConfig } from "./types.ts";
import { expectObject, refuseUnknownOptions } from "./fields.ts";
import { resolveMetricsConfig } from "../metrics/config.ts";
import { resolveBreakGlassConfig } from "../break-glass/config.ts";
import { resolveSloConfig } from "../metrics/slo-config.ts";

const SECTIONS = ["token", "routes", "revocation", "failMode", "failModes", "audit", "credential", "context", "paths", "onForbidError",
  "policyBundle", "rollout",
  "metrics", "breakGlass", "slo",
  "entities",
];
const FAIL_MODES: readonly FailMode[] = ["closed", "open", "stale"];
const HEADER_NAME = /^[a-z0-9!#$%&'*+\-.^_`|~]{1,64}$/;
// Headers that carry credentials or are rewritten by Gatehouse itself never reach the policy context
const SECRET_HEADERS = new Set(["authorization", "cookie", "proxy-authorization"]);
const COOKIE_NAME = /^[A-Za-z0-9!#$%&'*+\-.^_`|~]{1,128}$/;
const QUERY_NAME = /^[A-Za-z0-9\-._~]{1,128}$/;

/**
 * `validateConfig` with the schema check handed in: `checkSchema` from `check-schema.ts`, or `null`
 * for a configuration that already passed it unchanged (the Lambda build checks the configuration
 * it bundles, so that cold start neither loads nor runs the schema). Every stage's own check runs
 * either way, naming the field.
 */
export function resolveConfig(raw: unknown, checkSchema: ((raw: unknown) => void) | null): ResolvedConfig {
  const config = expectObject(raw, "config");
  refuseUnknownOptions(config, "", SECTIONS, { annotations: true });
  if (config.token === undefined) throw new ConfigError("token", "expected the token section `{ issuers: [...] }`, got nothing");
  const token = validateTokenConfig(config.token, "token");
  if (config.routes === undefined) throw new ConfigError("routes", "expected the route table (`{ routes: [...] }`), got nothing");
  const routes = compileRoutes(config.routes, "routes");
  // A security check stays on unless switched off in writing: `revocation: null`
  if (config.revocation === undefined) throw new ConfigError("revocation", "expected a revocation section, or `null` to switch revocation checks off");
  const revocation = config.revocation === null ? null : resolveRevocationConfig(config.revocation, "revocation");

  const defaultMode = failMode(config.failMode ?? "closed", "failMode");
  const failModes = new Map<string, FailMode>();
  for (const route of routes.routes) failModes.set(route.name, defaultMode);
  if (config.failModes !== undefined) {
    for (const [name, mode] of Object.entries(expectObject(config.failModes, "failModes"))) {
      if (!failModes.has(name)) throw new ConfigError(`failModes.${name}`, `expected the name of a route (${[...failModes.keys()].slice(0, 5).map((n) => `\`${n}\``).join(", ")}${failModes.size > 5 ? ", …" : ""}), got \`${name}\``);
      failModes.set(name, failMode(mode, `failModes.${name}`));
    }
  }

  const credentialRaw = config.credential === undefined ? {} : expectObject(config.credential, "credential");
  refuseUnknownOptions(credentialRaw, "credential", ["cookie", "queryParam"]);
  const credential = {
    cookie: optionalName(credentialRaw.cookie, "credential.cookie", COOKIE_NAME, "a cookie name"),
    queryParam: optionalName(credentialRaw.queryParam, "credential.queryParam", QUERY_NAME, "a query parameter name"),
  };

  const contextRaw = config.context === undefined ? {} : expectObject(config.context, "context");
  refuseUnknownOptions(contextRaw, "context", ["headers"]);
  const contextHeaders: string[] = [];
  if (contextRaw.headers !== undefined) {
    if (!Array.isArray(contextRaw.headers) || contextRaw.headers.length > 32) throw new ConfigError("context.headers", "expected an array of at most 32 header names");
    contextRaw.headers.forEach((name: unknown, i: number) => {
      const lower = typeof name === "string" ? name.toLowerCase() : "";
      if (!HEADER_NAME.test(lower)) throw new ConfigError(`context.headers[${i}]`, `expected a header name, got ${show(name)}`);
      if (SECRET_HEADERS.has(lower) || lower.startsWith("x-gatehouse-")) throw new ConfigError(`context.headers[${i}]`, `expected a header that carries no credential, got \`${lower}\``);
      if (!contextHeaders.includes(lower)) contextHeaders.push(lower);
    });
  }

  const pathsRaw = config.paths === undefined ? {} : expectObject(config.paths, "paths");
  refuseUnknownOptions(pathsRaw, "paths", ["maxPathLength", "maxSegments"]);
  const paths = Object.freeze({
    maxPathLength: integer(pathsRaw.maxPathLength, "paths.maxPathLength", DEFAULT_PATH_LIMITS.maxPathLength, 1, 65536),
    maxSegments: integer(pathsRaw.maxSegments, "paths.maxSegments", DEFAULT_PATH_LIMITS.maxSegments, 1, 1024),
  });

  const onForbidError = config.onForbidError ?? "skip";
  if (onForbidError !== "skip" && onForbidError !== "deny") throw new ConfigError("onForbidError", `expected \`skip\` or \`deny\`, got ${show(onForbidError)}`);

  const policyBundle = resolvePolicyBundleConfig(config.policyBundle, "policyBundle");
  const rollout = config.rollout === undefined ? null : resolveRolloutConfig(config.rollout, "rollout");
  const metrics = resolveMetricsConfig(config.metrics, "metrics");
  const breakGlass = resolveBreakGlassConfig(config.breakGlass, token, "breakGlass");
  resolveSloConfig(config.slo, "slo");
  // Live entity data, off unless configured
  const entities = config.entities === undefined || config.entities === null ? null : resolveEntitiesConfig(config.entities, "entities");

  // The stages checked meaning and built tables; the schema, last, guarantees that whatever starts
  // also passes the JSON Schema users validate their file with (one definition, no drift)
  if (checkSchema !== null) checkSchema(raw);

  return Object.freeze({
    token,
    routes,
    revocation,
    failModes,
    audit: resolveAuditConfig(config.audit as never, "audit"),
    credential: Object.freeze(credential),
    contextHeaders: Object.freeze(contextHeaders),
    paths,
    onForbidError,
    policyBundle,
    rollout,
    metrics,
    breakGlass,
    entities,
  });
}

function failMode(value: unknown, field: string): FailMode {
  if (typeof value !== "string" || !(FAIL_MODES as readonly string[]).includes(value)) throw new ConfigError(field, `expected \`closed\`, \`open\` or \`stale\`, got ${show(value)}`);
  return value as FailMode;
}

function optionalName(value: unknown, field: string, pattern: RegExp, what: string): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== "string" || !pattern.test(value)) throw new ConfigError(field, `expected ${what} or \`null\`, got ${show(value)}`);
  return value;
}

function integer(value: unknown, field: string, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) throw new ConfigError(field, `expected an integer from ${min} to ${max}, got ${show(value)}`);
  return value;
}
