// `gatehouse dev --lambda` (issue #6): the Lambda authorizer handler with API Gateway's result cache
// emulated in front of it, replaying a short scenario on a simulated clock, so a user sees what the
// cache does to each decision and how long a revocation takes to reach clients.
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { createLambdaHandler } from "../../functions/lambda/handler.ts";
import { memorySink } from "../../shared/audit/index.ts";
import { frozenClock } from "../../shared/clock/index.ts";
import type { GatehouseConfig } from "../../shared/config/index.ts";
import { ConfigError } from "../../shared/errors.ts";
import { createAuthorizer } from "../../shared/pipeline/index.ts";
import { neutralStores, openStore, revoke } from "../../shared/revocation/index.ts";
import { compilePolicyProject, loadPolicyModule } from "../compiler/index.ts";
import { DEV_AUDIENCE, DEV_ISSUER, loadDevKey } from "../dev-key/index.ts";
import { formatReplay, lambdaCacheDemo, ROUTE_BOUND_IDENTITY_SOURCES, type AuthorizerKind, type ReplayReport } from "../lambda-cache/index.ts";
import { mintDevToken } from "./examples.ts";

/** Options of `runDevLambda` (the flags of `gatehouse dev --lambda`). */
export interface DevLambdaOptions {
  /** API Gateway's authorizer result TTL, in seconds; default 60 (infra/template.yaml's `AuthorizerCacheTtl`), from 0 (no cache) to 3600. */
  readonly ttlSeconds?: number;
  /** Which API Gateway authorizer to emulate; default `rest_request` (the template's REST authorizer). */
  readonly kind?: AuthorizerKind;
  /** The policy project; default `policies/` under `cwd`. */
  readonly policiesDir?: string;
  /** The project directory holding `.gatehouse/dev-key.json`; default `process.cwd()`. */
  readonly cwd?: string;
  /** Where the report goes; default `console.log`. */
  readonly log?: (line: string) => void;
}

/** Gatehouse's own revocation cache in the demo (`revocation.ttlMs`), in ms: the documented default. */
const REVOCATION_TTL_MS = 5000;
/** When the demo revokes the token, in ms after the start. */
const REVOKE_AT_MS = 10_000;
const ALLOWED_PATH = "/tenants/acme/orders/o-17";
const KINDS: readonly AuthorizerKind[] = ["rest_token", "rest_request", "http_simple"];

/**
 * Builds the Lambda handler over the policy project with the dev issuer (`tools/dev-key`), an
 * in-memory revocation list and a simulated clock, then replays: the dev viewer reads an order
 * (allowed), tries to delete it (denied), reads it again, is revoked at 10 s, and reads it until the
 * cached answer expires. Prints the replay table and a summary; returns the report. Finishes at once:
 * no server, no network, no waiting. Throws `ConfigError` for a bad TTL, kind or policy directory.
 */
export async function runDevLambda(options: DevLambdaOptions = {}): Promise<ReplayReport> {
  const cwd = resolve(options.cwd ?? process.cwd());
  const log = options.log ?? ((line: string) => console.log(line));
  const ttlSeconds = options.ttlSeconds ?? 60;
  if (!Number.isInteger(ttlSeconds) || ttlSeconds < 0 || ttlSeconds > 3600) throw new ConfigError("--ttl", `expected whole seconds from 0 to 3600, got \`${String(ttlSeconds)}\``);
  const kind = options.kind ?? "rest_request";
  if (!KINDS.includes(kind)) throw new ConfigError("--kind", `expected one of ${KINDS.map((k) => `\`${k}\``).join(", ")}, got \`${String(kind)}\``);
  const policiesDir = resolve(cwd, options.policiesDir ?? "policies");
  const routesFile = join(policiesDir, "routes.json");
  if (!existsSync(routesFile)) throw new ConfigError("--policies", `expected a policy project with \`routes.json\`, got \`${policiesDir}\``);

  const compiled = compilePolicyProject({ policiesDir });
  const policies = await loadPolicyModule(compiled.source);
  const key = await loadDevKey({ file: join(cwd, ".gatehouse", "dev-key.json") });
  if (key.created) log(`created the dev signing key ${key.file} (ES256, kid ${key.kid})`);
  // Minted before the clock starts, so the token is never issued in the simulated future
  const token = await mintDevToken({ privateKey: key.privateKey, alg: "ES256", kid: key.kid, issuer: DEV_ISSUER, audience: DEV_AUDIENCE }, { sub: "vera", tenant: "acme", groups: ["viewer"], scope: "orders:read", amr: ["pwd"] });
  const clock = frozenClock(Date.now());
  const config: GatehouseConfig = {
    token: { issuers: [{ issuer: DEV_ISSUER, audience: DEV_AUDIENCE, algorithms: ["ES256"], jwks: { keys: [key.publicJwk] } }] },
    routes: JSON.parse(readFileSync(routesFile, "utf8")) as GatehouseConfig["routes"],
    revocation: { store: { kind: "memory" }, ttlMs: REVOCATION_TTL_MS },
  };
  // Kept by this command so the replay can revoke the token in it
  const { store } = await openStore(neutralStores, config.revocation!.store, { env: {} });
  // The audit lines stay in memory: the table is what this command shows
  const authorize = createAuthorizer(config, { policies, revocationStore: store, auditSink: memorySink(), clock });
  const handler = createLambdaHandler(authorize, { flush: () => authorize.flush(), httpApiCache: "require_route", warn: () => {} });

  const report = await lambdaCacheDemo(handler, {
    kind,
    ttlSeconds,
    clock,
    token,
    allowedPath: ALLOWED_PATH,
    deniedPath: ALLOWED_PATH,
    revokeAtMs: REVOKE_AT_MS,
    revoke: () => revoke(store, { iss: DEV_ISSUER, sub: "vera" }, { clock }).then(() => undefined),
  });

  const sources = ROUTE_BOUND_IDENTITY_SOURCES[kind];
  log(`gatehouse dev --lambda: the Lambda authorizer behind an emulated API Gateway ${kind} authorizer cache`);
  log(`policies ${policiesDir} (version ${compiled.version.slice(0, 12)}); token of the dev viewer vera (tenant acme) from ${DEV_ISSUER}`);
  log(`result TTL ${ttlSeconds} s, cache key: ${sources.length === 0 ? "the token alone (TOKEN authorizer)" : sources.join(", ")}; simulated clock, so nothing waits`);
  log("");
  log(formatReplay(report));
  log("");
  for (const line of summarize(report, ttlSeconds)) log(line);
  return report;
}

/** The plain-language reading of the replay. */
export function summarize(report: ReplayReport, ttlSeconds: number): string[] {
  const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  const requests = report.results.length;
  const lines = [
    `- ${requests} requests: ${report.cacheHits} answered from API Gateway's cache without calling the authorizer, ${requests - report.cacheHits} called it.`,
  ];
  lines.push(report.leaks === 0
    ? "- No cached answer allowed another method or path that a fresh decision denies (0 leaks): a cached allow only ever re-opens the request it was made for."
    : `- WARNING: ${report.leaks} cached allow${report.leaks === 1 ? "" : "s"} reached a request a fresh decision denies; the cache key lacks the method and path (docs/lambda.md).`);
  const denied = report.results.filter((r) => r.method === "DELETE");
  if (denied.length > 0 && denied.every((r) => r.effective !== "allow")) lines.push(`- The denied request (DELETE ${ALLOWED_PATH}) stayed denied: the client got \`${denied[0].effective}\`${denied[0].cached ? ", from the cached policy, which names only the GET" : ""}.`);
  const revokedAt = report.results.findIndex((r) => r.label.startsWith("revoked at"));
  if (revokedAt >= 0) {
    const at = report.results[revokedAt].atMs;
    const reached = report.results.slice(revokedAt).find((r) => r.effective !== "allow");
    if (report.staleAllows === 0 && reached !== undefined && reached.atMs === at) {
      lines.push(`- The revocation at ${seconds(at)} reached clients at once: no cached allow was live (TTL ${ttlSeconds} s).`);
    } else if (reached !== undefined) {
      lines.push(`- The revocation at ${seconds(at)} reached clients at ${seconds(reached.atMs)}, ${seconds(reached.atMs - at)} later: until then the allow cached before it was served (${report.staleAllows} stale allow${report.staleAllows === 1 ? "" : "s"}), until its TTL ran out.`);
    } else {
      lines.push(`- The revocation at ${seconds(at)} had not reached clients by the last request.`);
    }
  }
  lines.push(`- Worst case, a revocation or policy change reaches a client holding a cached answer after the TTL (${ttlSeconds} s) plus Gatehouse's revocation cache (revocation.ttlMs, ${REVOCATION_TTL_MS / 1000} s here). Lower AuthorizerCacheTtl to shorten it.`);
  return lines;
}
