// The built Gatehouse Worker in Miniflare (real workerd) with its stdout kept, so a test reads the
// audit lines as a log shipper would (issue #18: replay and canary tests).
import type { Readable } from "node:stream";
import { Miniflare, type MiniflareOptions } from "miniflare";
import { mintToken, type TestKey } from "./tokens.ts";

export const WORKER_ISSUER = "https://dev.gatehouse.local";
export const WORKER_AUDIENCE = "gatehouse-demo";

export interface AuditedWorker {
  /** Sends one request; with `claims`, a token signed by `key` for them; `headers` are added. */
  fetch(method: string, path: string, claims?: Record<string, unknown>, headers?: Record<string, string>): Promise<Response>;
  /** Everything workerd printed on stdout so far. */
  stdout(): string;
  /** Everything workerd printed on stderr so far (`console.error`: a refused configuration's field). */
  stderr(): string;
  /** The JSON lines printed so far that contain `marker`, waiting until there are at least `count`. */
  lines(count: number, marker?: string): Promise<string[]>;
  /** With `captureMetrics`: the Analytics Engine data points written so far, waiting until there are at least `count`. */
  points(count: number): Promise<{ blobs: (string | null)[]; doubles: number[]; indexes: string[] }[]>;
  stop(): Promise<void>;
}

// Miniflare's Analytics Engine simulator discards data points: a wrapped binding with the same
// interface prints each one on workerd's stdout instead
const CAPTURE = `
export default function () {
  return { writeDataPoint(point) { console.log("ae-point " + JSON.stringify(point)); } };
}`;

/**
 * Starts `bundlePath` with `config` as `GATEHOUSE_CONFIG` (the key's public JWK trusted), a real KV
 * namespace and an echoing origin; with `captureMetrics`, the `GATEHOUSE_METRICS` binding prints its data points.
 */
export async function startAuditedWorker(bundlePath: string, key: TestKey, config: Record<string, unknown>, options: { readonly captureMetrics?: boolean } = {}): Promise<AuditedWorker> {
  let out = "";
  let err = "";
  const full = {
    token: { issuers: [{ issuer: WORKER_ISSUER, audience: WORKER_AUDIENCE, algorithms: [key.alg], jwks: { keys: [key.publicJwk] } }] },
    revocation: { store: { kind: "kv" }, ttlMs: 1000 },
    ...config,
  };
  const gatehouse = {
    name: "gatehouse",
    modules: true,
    scriptPath: bundlePath,
    compatibilityDate: "2025-09-01",
    bindings: { GATEHOUSE_CONFIG: JSON.stringify(full) },
    kvNamespaces: { REVOCATIONS: "revocations" },
    serviceBindings: { ORIGIN: async (request: Request) => new Response(JSON.stringify({ origin: "ok", path: new URL(request.url).pathname }), { headers: { "content-type": "application/json" } }) },
    ...(options.captureMetrics ? { wrappedBindings: { GATEHOUSE_METRICS: { scriptName: "ae-capture" } } } : {}),
  };
  const mf = new Miniflare({
    workers: options.captureMetrics ? [gatehouse, { name: "ae-capture", modules: true, script: CAPTURE }] : [gatehouse],
    handleRuntimeStdio: (stdout: Readable, stderr: Readable) => {
      stdout.setEncoding("utf8").on("data", (chunk: string) => (out += chunk));
      stderr.setEncoding("utf8").on("data", (chunk: string) => (err += chunk));
    },
  } as unknown as MiniflareOptions);
  await mf.ready;
  const matching = (marker: string) => out.split("\n").filter((line) => line.startsWith("{") && line.includes(marker));
  return {
    fetch: async (method, path, claims, headers = {}) => {
      const all: Record<string, string> = { ...headers };
      if (claims) all.authorization = `Bearer ${await mintToken(key, claims, { issuer: WORKER_ISSUER, audience: WORKER_AUDIENCE })}`;
      return mf.dispatchFetch(new URL(path, "http://gatehouse.test").toString(), { method, headers: all }) as unknown as Promise<Response>;
    },
    stdout: () => out,
    stderr: () => err,
    lines: async (count, marker = '"decision_id"') => {
      // workerd's stdout reaches us through a pipe, a moment after the response
      for (let waited = 0; matching(marker).length < count && waited < 10_000; waited += 20) await new Promise((r) => setTimeout(r, 20));
      return matching(marker);
    },
    points: async (count) => {
      const points = () => out.split("\n").filter((l) => l.startsWith("ae-point ")).map((l) => JSON.parse(l.slice(9)) as { blobs: (string | null)[]; doubles: number[]; indexes: string[] });
      for (let waited = 0; points().length < count && waited < 10_000; waited += 20) await new Promise((r) => setTimeout(r, 20));
      return points();
    },
    stop: () => mf.dispose(),
  };
}
