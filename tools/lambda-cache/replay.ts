// Replays requests through a Lambda authorizer handler with an API-Gateway-like result cache in
// between, so a user can see what the cache does to each decision and for how long.
import { ConfigError } from "../../shared/errors.ts";
import { evaluateIamPolicy } from "./iam.ts";
import { resolveIdentitySource } from "./identity-source.ts";
import type { AuthorizerKind, ClientOutcome } from "./types.ts";

/** The handler under test: `createLambdaHandler(...)`, or the built bundle's `handler`. */
export type AuthorizerHandler = (event: unknown) => Promise<unknown>;

/** The authorizer's deployment settings, as in the SAM template. */
export interface AuthorizerCacheOptions {
  readonly kind: AuthorizerKind;
  /** Result TTL, in seconds; default 300 (API Gateway's), from 0 (caching off) to 3600. */
  readonly ttlSeconds?: number;
  /**
   * Identity sources, which make the cache key. REST `REQUEST`: e.g. `method.request.header.Authorization`,
   * `context.httpMethod`, `context.path`; HTTP API: `$request.header.Authorization`, `$context.httpMethod`,
   * `$context.path`. Default the Authorization header alone. Ignored for `rest_token` (the token is the key).
   */
  readonly identitySources?: readonly string[];
  /** Moved to each step's time before it runs; the same clock the handler's pipeline reads. */
  readonly clock: { now(): number; set(ms: number): void };
}

/** One request of the replay. */
export interface ReplayStep {
  /** When it arrives, in ms after the replay starts (the clock's time then). Steps must not go back in time. */
  readonly atMs: number;
  /** The authorizer event API Gateway would send (a `TOKEN`, `REQUEST` or payload 2.0 event). */
  readonly event: Record<string, unknown>;
  /** Run just before the step, e.g. a revocation or a policy change; its time is the step's. */
  readonly before?: () => Promise<void> | void;
  /** For the report. */
  readonly label?: string;
}

/** What happened to one request. */
export interface ReplayResult {
  readonly label: string;
  readonly atMs: number;
  readonly method: string;
  readonly path: string;
  /** `true` when API Gateway answered from its cache without invoking the authorizer. */
  readonly cached: boolean;
  /** Index of the step whose answer was reused, when cached. */
  readonly cachedFrom: number | null;
  /** What the client got. */
  readonly effective: ClientOutcome;
  /** What the authorizer decides for this request now, cache or not. */
  readonly uncached: ClientOutcome;
  /** A cached allow of another method or path that the authorizer denies: the cache widened a decision. */
  readonly leak: boolean;
  /** A cached allow of this same method and path that the authorizer now denies: a change not yet seen. */
  readonly stale: boolean;
  /** A cached answer denies what the authorizer allows (REST: the cached policy names another ARN). */
  readonly falseDeny: boolean;
}

/** The whole replay. */
export interface ReplayReport {
  readonly results: readonly ReplayResult[];
  readonly invocations: number;
  readonly cacheHits: number;
  readonly leaks: number;
  readonly staleAllows: number;
  readonly falseDenies: number;
}

interface Entry {
  readonly answer: unknown;
  readonly expiresAt: number;
  readonly from: number;
  readonly method: string;
  readonly path: string;
}

const arnOf = (event: Record<string, unknown>): string => String(event.methodArn ?? event.routeArn ?? "");

function requestLine(event: Record<string, unknown>): { method: string; path: string } {
  const arn = arnOf(event);
  const parts = arn.slice(arn.indexOf("/") + 1).split("/");
  return { method: parts[1] ?? "", path: `/${parts.slice(2).join("/")}` };
}

// The client-visible outcome of one handler answer, as API Gateway applies it to `event`
function apply(kind: AuthorizerKind, answer: unknown, event: Record<string, unknown>): ClientOutcome {
  if (answer instanceof Error) return answer.message === "Unauthorized" && kind !== "http_simple" ? "unauthorized" : "error";
  if (kind === "http_simple") {
    const isAuthorized = (answer as { isAuthorized?: unknown } | null)?.isAuthorized;
    return isAuthorized === true ? "allow" : isAuthorized === false ? "deny" : "error";
  }
  return evaluateIamPolicy(answer, arnOf(event));
}

async function invoke(handler: AuthorizerHandler, event: Record<string, unknown>): Promise<unknown> {
  try {
    return await handler(structuredClone(event));
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error));
  }
}

/**
 * Runs `steps` in order through `handler` with an emulated authorizer cache. Each step's key is its
 * identity sources' values; a live entry answers without invoking (REST policies are re-evaluated
 * against the new methodArn, as API Gateway does); otherwise the handler runs and a returned answer
 * is kept for `ttlSeconds` (a thrown `Unauthorized` is not kept). For HTTP API events the
 * `identitySource` field is filled from the configured sources, as API Gateway would.
 * Every cached step is also run through the handler, uncached, to report what it would decide.
 * Throws `ConfigError` for bad options; a missing identity source answers `unauthorized` (API
 * Gateway refuses such requests without invoking the authorizer).
 */
export async function replayAuthorizerCache(handler: AuthorizerHandler, steps: readonly ReplayStep[], options: AuthorizerCacheOptions): Promise<ReplayReport> {
  const ttlSeconds = options.ttlSeconds ?? 300;
  if (!Number.isInteger(ttlSeconds) || ttlSeconds < 0 || ttlSeconds > 3600) {
    throw new ConfigError("ttlSeconds", `expected an integer from 0 to 3600, got \`${String(ttlSeconds)}\``);
  }
  const kind = options.kind;
  if (kind !== "rest_token" && kind !== "rest_request" && kind !== "http_simple") {
    throw new ConfigError("kind", `expected one of \`rest_token\`, \`rest_request\`, \`http_simple\`, got \`${String(kind)}\``);
  }
  const sources = kind === "rest_token" ? ["token"] : options.identitySources ?? [kind === "http_simple" ? "$request.header.Authorization" : "method.request.header.Authorization"];
  const start = options.clock.now();
  const cache = new Map<string, Entry>();
  const results: ReplayResult[] = [];
  let invocations = 0;

  for (const [index, step] of steps.entries()) {
    const now = start + step.atMs;
    options.clock.set(now);
    await step.before?.();
    const event = structuredClone(step.event);
    const values = sources.map((source) => resolveIdentitySource(kind, source, event));
    if (kind === "http_simple") event.identitySource = values.filter((v): v is string => v !== undefined);
    const { method, path } = requestLine(event);
    const label = step.label ?? `${method} ${path}`;
    if (values.some((v) => v === undefined)) {
      results.push({ label, atMs: step.atMs, method, path, cached: false, cachedFrom: null, effective: "unauthorized", uncached: "unauthorized", leak: false, stale: false, falseDeny: false });
      continue;
    }
    const key = JSON.stringify(values);
    const entry = cache.get(key);
    const fresh = await invoke(handler, event);
    invocations++;
    const uncached = apply(kind, fresh, event);
    if (entry && entry.expiresAt > now) {
      const effective = apply(kind, entry.answer, event);
      const sameRequest = entry.method === method && entry.path === path;
      results.push({
        label, atMs: step.atMs, method, path, cached: true, cachedFrom: entry.from, effective, uncached,
        leak: effective === "allow" && uncached !== "allow" && !sameRequest,
        stale: effective === "allow" && uncached !== "allow" && sameRequest,
        falseDeny: effective !== "allow" && uncached === "allow",
      });
      continue;
    }
    if (ttlSeconds > 0 && !(fresh instanceof Error)) cache.set(key, { answer: fresh, expiresAt: now + ttlSeconds * 1000, from: index, method, path });
    else cache.delete(key);
    results.push({ label, atMs: step.atMs, method, path, cached: false, cachedFrom: null, effective: uncached, uncached, leak: false, stale: false, falseDeny: false });
  }
  const count = (test: (r: ReplayResult) => boolean) => results.filter(test).length;
  return {
    results,
    invocations,
    cacheHits: count((r) => r.cached),
    leaks: count((r) => r.leak),
    staleAllows: count((r) => r.stale),
    falseDenies: count((r) => r.falseDeny),
  };
}

/** The report as a plain-text table, one request a line, for `gatehouse dev --lambda` or a test's output. */
export function formatReplay(report: ReplayReport): string {
  const lines = ["  t(s)  request                               cache      client        authorizer    note"];
  for (const r of report.results) {
    const note = r.leak ? "LEAK: cached allow of another route" : r.stale ? "stale: change not seen yet" : r.falseDeny ? "cached policy names another ARN" : "";
    lines.push(
      `${(r.atMs / 1000).toFixed(1).padStart(6)}  ${r.label.slice(0, 36).padEnd(36)}  ${(r.cached ? `hit #${r.cachedFrom}` : "miss").padEnd(9)}  ${r.effective.padEnd(12)}  ${r.uncached.padEnd(12)}  ${note}`.trimEnd(),
    );
  }
  lines.push(`${report.invocations} invocations, ${report.cacheHits} cache hits, ${report.leaks} leaks, ${report.staleAllows} stale allows, ${report.falseDenies} false denies`);
  return lines.join("\n");
}
