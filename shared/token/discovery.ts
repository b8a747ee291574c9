// OpenID Connect Discovery 1.0 (issue #20): an issuer configured by `issuer` alone. Its document is
// fetched from the one URL the configuration implies, cached like the key set (single flight,
// stale-while-revalidate, cooldown after failures, size cap, persisted between isolates where the
// key set is), and only its `jwks_uri` is used, once it has passed the checks below. Nothing a token
// names is ever fetched.
import type { Clock } from "../clock/index.ts";
import { joinFlight } from "./join-flight.ts";
import type { ResolvedKeySource } from "./config.ts";
import { isRecord } from "./internal.ts";
import type { JwksPersistence, KeyLookup, KeyResolverDeps, JwksRegistry } from "./jwks.ts";
import { isLoopbackHost, type ResolvedDiscovery } from "./provider-config.ts";
import { readLimitedText } from "./read-limited.ts";
import { tokenFailure } from "./reasons.ts";

type RemoteSource = Extract<ResolvedKeySource, { kind: "remote" }>;
type RemoteKey = (source: RemoteSource, issuerName: string, deps: KeyResolverDeps, alg: string, kid: string | undefined) => Promise<KeyLookup>;

interface DiscoveryEntry {
  /** The key source the last good document named; kept as one object so the JWKS registry entry is shared. */
  source: RemoteSource | null;
  fetchedAtMs: number;
  lastAttemptMs: number;
  inflight: { readonly promise: Promise<void>; readonly startedMs: number } | null;
  /** The one read of the persisted document (a fresh isolate's first request), like the key set's. */
  restore: { readonly promise: Promise<void>; readonly startedMs: number } | null;
}

// Discovery documents live beside the key sets of the same registry (one per isolate, one clock)
const documents = new WeakMap<JwksRegistry, Map<string, DiscoveryEntry>>();
const MAX_DOCUMENT_BYTES = 64 * 1024;

/**
 * The key lookup of an issuer configured by discovery: the document's `jwks_uri` (once checked),
 * then the same remote key set lookup as a configured `jwksUri`. `discovery_unavailable` when no
 * usable document is known within its max stale age.
 */
export function createDiscoveryKeyResolver(issuer: { readonly name: string; readonly issuer: string }, discovery: ResolvedDiscovery, deps: KeyResolverDeps, remoteKey: RemoteKey) {
  let byUri = documents.get(deps.registry);
  if (byUri === undefined) documents.set(deps.registry, (byUri = new Map()));
  let entry = byUri.get(discovery.uri);
  if (entry === undefined) byUri.set(discovery.uri, (entry = { source: null, fetchedAtMs: 0, lastAttemptMs: -Infinity, inflight: null, restore: null }));
  const known = entry;
  return async function resolveDiscoveredKey(alg: string, kid: string | undefined): Promise<KeyLookup> {
    const { clock } = deps;
    // A new edge isolate starts from the persisted document, as it does from the persisted key set
    if (known.source === null && deps.persistence !== null) {
      const persistence = deps.persistence;
      known.restore ??= { promise: restore(known, issuer.issuer, discovery, persistence, clock), startedMs: clock.now() };
      await joinFlight(known.restore, discovery.timeoutMs, clock);
    }
    let now = clock.now();
    if (known.source === null || now - known.fetchedAtMs >= discovery.freshMs) {
      if (known.inflight !== null || now - known.lastAttemptMs >= discovery.cooldownMs) {
        const flight = start(known, issuer.issuer, discovery, deps);
        // Stale-while-revalidate: a document within its max stale age answers while the refresh runs
        if (known.source === null || now - known.fetchedAtMs >= discovery.freshMs + discovery.maxStaleMs) {
          await joinFlight(flight, discovery.timeoutMs, clock);
          now = clock.now();
        }
      }
    }
    if (known.source === null || now - known.fetchedAtMs >= discovery.freshMs + discovery.maxStaleMs) {
      return tokenFailure("discovery_unavailable", "discovery", issuer.name);
    }
    return remoteKey(known.source, issuer.name, deps, alg, kid);
  };
}

function start(entry: DiscoveryEntry, expectedIssuer: string, discovery: ResolvedDiscovery, deps: KeyResolverDeps) {
  const now = deps.clock.now();
  if (entry.inflight !== null && now - entry.inflight.startedMs <= discovery.timeoutMs) return entry.inflight;
  entry.lastAttemptMs = now;
  const flight = {
    promise: fetchJwksUri(expectedIssuer, discovery, deps).then((uri) => {
      if (uri === undefined) return;
      use(entry, uri, discovery);
      entry.fetchedAtMs = deps.clock.now();
      if (deps.persistence !== null) {
        try {
          deps.persistence.put(discovery.uri, { jwks: { keys: [] }, fetchedAtMs: entry.fetchedAtMs, jwksUri: uri }).catch(() => undefined);
        } catch {
          // A failing store only costs the next isolate a fetch
        }
      }
    }).finally(() => {
      if (entry.inflight === flight) entry.inflight = null;
    }),
    startedMs: now,
  };
  entry.inflight = flight;
  return flight;
}

function use(entry: DiscoveryEntry, uri: string, discovery: ResolvedDiscovery): void {
  if (entry.source !== null && entry.source.uri === uri) return;
  entry.source = Object.freeze({
    kind: "remote",
    uri,
    timeoutMs: discovery.timeoutMs,
    cooldownMs: discovery.cooldownMs,
    freshMs: discovery.freshMs,
    maxStaleMs: discovery.maxStaleMs,
    preload: null,
  });
}

// The persisted `jwks_uri` passes the same checks as a fetched one (the allowed hosts may have
// changed since it was written), and counts only within the document's max stale age
async function restore(entry: DiscoveryEntry, expectedIssuer: string, discovery: ResolvedDiscovery, persistence: JwksPersistence, clock: Clock): Promise<void> {
  try {
    const record: unknown = await persistence.get(discovery.uri);
    if (!isRecord(record) || typeof record.fetchedAtMs !== "number" || !Number.isFinite(record.fetchedAtMs)) return;
    const uri = checkedJwksUri({ issuer: expectedIssuer, jwks_uri: record.jwksUri }, expectedIssuer, discovery);
    const now = clock.now();
    const fetchedAtMs = Math.min(record.fetchedAtMs, now);
    if (uri === undefined || entry.source !== null || now - fetchedAtMs >= discovery.freshMs + discovery.maxStaleMs) return;
    use(entry, uri, discovery);
    entry.fetchedAtMs = fetchedAtMs;
  } catch {
    // A broken store is the same as an empty one
  }
}

/** Fetches the document and answers its checked `jwks_uri`, or `undefined` (never throws). */
async function fetchJwksUri(expectedIssuer: string, discovery: ResolvedDiscovery, deps: KeyResolverDeps): Promise<string | undefined> {
  try {
    const signal = AbortSignal.timeout(discovery.timeoutMs);
    const response = await deps.fetch(discovery.uri, {
      method: "GET",
      headers: { accept: "application/json" },
      // A redirect would make us fetch a URL nobody configured
      redirect: "manual",
      signal,
    });
    if (response.status !== 200) {
      await response.body?.cancel().catch(() => undefined);
      return undefined;
    }
    const text = await readLimitedText(response, MAX_DOCUMENT_BYTES, signal);
    if (text === undefined) return undefined;
    return checkedJwksUri(JSON.parse(text), expectedIssuer, discovery);
  } catch {
    return undefined;
  }
}

/**
 * The document's `jwks_uri` if the document may be trusted: its `issuer` equals the configured one
 * exactly (OpenID Connect Discovery §4.3: otherwise an attacker's document could stand in for the
 * issuer's), and `jwks_uri` is https (http only for loopback when allowed) on an allowed host.
 */
export function checkedJwksUri(document: unknown, expectedIssuer: string, discovery: Pick<ResolvedDiscovery, "jwksHosts" | "allowLoopbackHttp">): string | undefined {
  if (!isRecord(document) || document.issuer !== expectedIssuer || typeof document.jwks_uri !== "string") return undefined;
  let url: URL;
  try {
    url = new URL(document.jwks_uri);
  } catch {
    return undefined;
  }
  const schemeOk = url.protocol === "https:" || (discovery.allowLoopbackHttp && url.protocol === "http:" && isLoopbackHost(url.hostname));
  if (!schemeOk || url.username !== "" || url.password !== "" || !discovery.jwksHosts.has(url.host)) return undefined;
  return url.toString();
}
