import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { ConfigError } from "../../shared/errors.ts";
import { validateConfig } from "../../shared/pipeline/index.ts";
import type { CompiledPolicySet } from "../../shared/policy/index.ts";
import { compileRoutes, DEFAULT_PATH_LIMITS } from "../../shared/routes/index.ts";
import { defaultClaimsMapping, type ResolvedClaimsMapping } from "../../shared/token/index.ts";
import { loadDevConfig } from "../dev/load-config.ts";
import { compilePolicyProject, loadPolicyModule, RUNTIME_ENTRY } from "../compiler/index.ts";
import type { NamedMapping } from "../analysis/index.ts";
import type { DecideSetup } from "./types.ts";

/** Options of `prepareProject`. */
export interface PrepareOptions {
  /** The policies directory (`*.cedar`, schema, `entities.json`, `routes.json`). */
  readonly policiesDir: string;
  /**
   * A `GatehouseConfig` JSON file (as `gatehouse dev --config` takes): its issuers' claims
   * mappings, context headers and path limits are used; its routes when it has them, else the
   * policies directory's `routes.json`. Default: the built-in claims mapping and no headers.
   */
  readonly configFile?: string;
}

/** A compiled project ready to decide requests, and the claims mappings it was checked against. */
export interface PreparedProject {
  readonly setup: DecideSetup;
  readonly mappings: readonly NamedMapping[];
}

/**
 * Compiles the project with the real compiler, loads the generated module and builds the route
 * table and claims mappings exactly as a deployed function would.
 * @throws PolicyCompileError with file:line diagnostics; ConfigError naming the field of a bad config or route file.
 */
export async function prepareProject(options: PrepareOptions): Promise<PreparedProject> {
  const dir = resolve(options.policiesDir);
  // The module is loaded from a temporary file, so it imports the runtime by absolute path
  const compiled = compilePolicyProject({ policiesDir: dir, runtimeImport: RUNTIME_ENTRY });
  const policies: CompiledPolicySet = await loadPolicyModule(compiled.source);
  const { setup, mappings } = resolveSetup(dir, options.configFile);
  return { setup: { ...setup, policies }, mappings };
}

/** The route table and claims mappings of a project (without compiling its policies). */
export function resolveSetup(policiesDir: string, configFile?: string): { setup: Omit<DecideSetup, "policies">; mappings: NamedMapping[] } {
  const routesFile = join(policiesDir, "routes.json");
  const fileRoutes = existsSync(routesFile) ? readJson(routesFile) : undefined;
  if (configFile === undefined) {
    if (fileRoutes === undefined) throw new ConfigError("routes", `expected \`${routesFile}\``);
    return {
      setup: { routes: compileRoutes(fileRoutes), paths: DEFAULT_PATH_LIMITS, mappings: new Map(), defaultMapping: defaultClaimsMapping, contextHeaders: [], onForbidError: "skip" },
      mappings: [{ issuer: "default", mapping: defaultClaimsMapping }],
    };
  }
  // The same reader as `gatehouse dev --config` (JWKS files inlined); the policy tools need no
  // revocation store, and the routes live beside the policies unless the config has its own
  const raw = loadDevConfig(configFile);
  const config = { ...(fileRoutes !== undefined ? { routes: fileRoutes } : {}), ...raw, revocation: null };
  const resolved = validateConfig(config);
  const mappings = new Map<string, ResolvedClaimsMapping>();
  const named: NamedMapping[] = [];
  for (const issuer of resolved.token.issuers.values()) {
    mappings.set(issuer.issuer, issuer.claims);
    named.push({ issuer: issuer.name, mapping: issuer.claims });
  }
  // A token from an issuer the config does not list is refused by the pipeline; in a test the
  // first issuer's mapping stands in, so cases need not repeat `iss`
  const first = named[0].mapping;
  return { setup: { routes: resolved.routes, paths: resolved.paths, mappings, defaultMapping: first, contextHeaders: resolved.contextHeaders, onForbidError: resolved.onForbidError }, mappings: named };
}

function readJson(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    throw new ConfigError(file, "expected a readable file");
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new ConfigError(file, `expected json: ${(error as Error).message.split("\n")[0].toLowerCase()}`);
  }
}
