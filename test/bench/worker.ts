// The Worker bundle in Miniflare (real workerd) on loopback under autocannon, side by side with
// baselines that do the same work minus the authorizing, so each ratio compares like with like:
//   - the Gatehouse Worker forwards allowed requests to an origin Worker through a service binding,
//     so its baseline is a Worker that only forwards to the same origin (`proxy`);
//   - `gatehouse()` as Hono middleware in front of a handler answering 200 has no hop, so its
//     baseline is a Worker answering 200 (`direct`), and with fresh tokens it is compared with Hono's
//     own `jwk` middleware in front of the same handler.
// Two more anchors do, with no Gatehouse code, the platform work every allowed request of Gatehouse's
// must do, so the part of each gap that is Gatehouse's own stands apart from Miniflare's:
//   - `proxy_identity`: the forwarding Worker that also copies the request, strips inbound
//     `x-gatehouse-*`, sets the three identity headers and writes one audit-line-long `console.log`;
//   - `hono_jwk_floor`: Hono's `jwk` middleware that also reads the token's `jti` from KV (the
//     revocation lookup of a token not seen before) and writes the same line.
// Every variant runs for the same time with the same connections and the same requests (the reused
// tokens' `Authorization` header for the baselines too), one after another, in interleaved rounds;
// the median round is reported.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import autocannon from "autocannon";
import { build } from "esbuild";
import { Miniflare, type MiniflareOptions } from "miniflare";
import { buildWorker } from "../../tools/build/worker.ts";
import { repoRoot } from "../harness/corpus.ts";
import { startJwksServer } from "../harness/jwks-server.ts";
import { createTestKey, mintToken, type TestKey } from "../harness/tokens.ts";

/** One variant's figures. */
export interface WorkerBenchRow {
  readonly variant: string;
  readonly rps: number;
  readonly p50_ms: number;
  readonly p99_ms: number;
  /** What the variant does per request, and what it is compared with. */
  readonly what: string;
}

export interface WorkerBenchResult {
  /** Requests/s of a Worker that answers 200 at once (no hop). */
  baseline_rps: number;
  /** Requests/s of a Worker that only forwards to an origin Worker (service binding): the Gatehouse Worker's baseline. */
  proxy_rps: number;
  /** Requests/s of the Gatehouse bundle, 100 tokens reused, allowed and forwarded to the same origin Worker. */
  gatehouse_rps: number;
  /** gatehouse_rps / proxy_rps: same forward on both sides (goal ≥ 0.9). */
  ratio: number;
  /**
   * Requests/s of the forwarding Worker that also writes one `console.log` line per request as long
   * as an audit line: what the line costs any Worker in Miniflare (workerd's stdout is a pipe that
   * Miniflare's Node process reads), with no Gatehouse code.
   */
  logging_proxy_rps: number;
  /** logging_proxy_rps / proxy_rps: the share of the proxy's throughput one stdout line per request leaves. */
  logging_proxy_ratio: number;
  /** gatehouse_rps / logging_proxy_rps: the Gatehouse Worker against a forwarder writing the same line. */
  logging_ratio: number;
  /**
   * Requests/s of the forwarding Worker that also does the platform part of an allow: copies the
   * request, strips inbound `x-gatehouse-*`, sets three identity headers, writes one audit-line-long
   * `console.log`. No token, no decision.
   */
  identity_proxy_rps: number;
  /** identity_proxy_rps / proxy_rps: what an allow's platform work leaves of the proxy, with no Gatehouse code. */
  identity_proxy_ratio: number;
  /** gatehouse_rps / identity_proxy_rps: the Gatehouse Worker against that floor, i.e. its own work's share of the gap. */
  floor_ratio: number;
  /** gatehouse_rps / baseline_rps: the Worker against a Worker that does not forward (not like for like). */
  direct_ratio: number;
  /** Latency of the reused-token run, ms. */
  p50_ms: number;
  p99_ms: number;
  /** Requests/s of the Gatehouse bundle with a token never seen before on every request (forwarded). */
  fresh_token_rps: number;
  /** Requests/s of `gatehouse()` middleware before a handler answering 200, fresh token every request. */
  middleware_fresh_rps: number;
  /** Requests/s of Hono's `jwk` middleware alone before the same handler, fresh tokens. */
  hono_jwk_rps: number;
  /** middleware_fresh_rps / hono_jwk_rps: both no hop (goal ≥ 1). */
  fresh_ratio: number;
  /** Requests/s of Hono's `jwk` middleware that also reads the token's `jti` from KV and writes one audit-line-long `console.log`, fresh tokens. */
  hono_jwk_floor_rps: number;
  /** middleware_fresh_rps / hono_jwk_floor_rps: `gatehouse()` against Hono's `jwk` doing the same platform work. */
  fresh_floor_ratio: number;
  /** Requests/s of `gatehouse()` middleware before a handler answering 200 (no hop), 100 reused tokens. */
  middleware_rps: number;
  /** middleware_rps / baseline_rps: both no hop. */
  middleware_ratio: number;
  /** The Gatehouse bundle as `gatehouse_rps`, configured with `audit.allowSampleRate: 0.1` (deny lines still all written); full mode only. */
  sampled_audit_rps: number | null;
  /**
   * The Gatehouse bundle with fresh tokens and the revocation list in isolate memory instead of KV:
   * not a production setup, it shows what Miniflare's KV read per new `jti` costs here. Full mode only.
   */
  fresh_memory_revocation_rps: number | null;
  /**
   * The Gatehouse bundle as `gatehouse_rps` with decision metrics on (Miniflare's Analytics Engine
   * binding, one data point per decision). Full mode only.
   */
  metrics_rps: number | null;
  /** metrics_rps / gatehouse_rps: what metrics cost the Worker's throughput (issue #19: unchanged within noise). */
  metrics_ratio: number | null;
  /** Every variant with its latency and what it does. */
  rows: WorkerBenchRow[];
  /** The deployable bundle, gzip -9 (goal ≤ 65536). */
  worker_gzip_bytes: number;
}

const ISSUER = "https://bench.gatehouse.local";
const AUDIENCE = "gatehouse-bench";
const TRIVIAL = 'export default { fetch() { return new Response("ok"); } };';
const PROXY = "export default { fetch(request, env) { return env.ORIGIN.fetch(request); } };";
// As long as the bench's allow lines (about 950 bytes): the line is a constant, so the Worker does
// nothing but the write
const AUDIT_LINE_BYTES = 950;
// The constant line as a JS declaration, for the Workers that write one per request
const LINE_DECLARATION = `const line = ${JSON.stringify(JSON.stringify({ line: "x".repeat(AUDIT_LINE_BYTES - 12) }))};`;
const LOGGING_PROXY = `${LINE_DECLARATION}
export default { fetch(request, env) { console.log(line); return env.ORIGIN.fetch(request); } };`;
// Copies the request, strips inbound identity headers and sets three, as the Gatehouse Worker does on
// an allow (values as long as the bench's), writes the line, forwards
const IDENTITY_PROXY = `${LINE_DECLARATION}
export default { fetch(request, env) {
  console.log(line);
  const forwarded = new Request(request);
  const spoofed = [];
  forwarded.headers.forEach((_value, name) => { if (name.startsWith("x-gatehouse-")) spoofed.push(name); });
  for (const name of spoofed) forwarded.headers.delete(name);
  forwarded.headers.set("x-gatehouse-principal", 'User::"vera"');
  forwarded.headers.set("x-gatehouse-tenant", "acme");
  forwarded.headers.set("x-gatehouse-decision-id", crypto.randomUUID());
  return env.ORIGIN.fetch(forwarded);
} };`;
const CONNECTIONS = 16;
const COMPAT = "2025-09-01";
// A generous ceiling on what one variant can serve per second here: fresh-token runs get this many
// distinct tokens per second of load, and a run that used more is reported as such
const MAX_FRESH_RPS = 4000;

async function bundle(dir: string, name: string, source: string): Promise<string> {
  const entry = join(dir, `${name}.ts`);
  writeFileSync(entry, source);
  const out = join(dir, `${name}.js`);
  await build({ entryPoints: [entry], bundle: true, format: "esm", platform: "neutral", minify: true, outfile: out, nodePaths: [join(repoRoot, "node_modules")], logLevel: "error" });
  return out;
}

// Hono's jwk before `handler`, with `prelude` at the module's top
function honoJwkModule(key: TestKey, handler: string, prelude = ""): string {
  return `
import { Hono } from "hono/tiny";
import { jwk } from "hono/jwk";
${prelude}
const app = new Hono();
app.use("*", jwk({ keys: [${JSON.stringify(key.publicJwk)}], alg: ["ES256"], verification: { iss: ${JSON.stringify(ISSUER)}, aud: ${JSON.stringify(AUDIENCE)} } }));
app.all("*", ${handler});
export default app;
`;
}

function honoJwkWorker(key: TestKey, dir: string): Promise<string> {
  return bundle(dir, "hono-jwk", honoJwkModule(key, `(c) => c.text("ok")`));
}

// Hono's jwk, then what Gatehouse does besides for a token not seen before that is the platform's:
// one KV read for the token's jti (a key never written, as for a fresh token), one line on stdout
function honoJwkFloorWorker(key: TestKey, dir: string): Promise<string> {
  return bundle(dir, "hono-jwk-floor", honoJwkModule(key, `async (c) => {
  const revoked = await c.env.REVOCATIONS.get("jti:" + c.get("jwtPayload").jti);
  console.log(line);
  return revoked === null ? c.text("ok") : c.text("revoked", 401);
}`, LINE_DECLARATION));
}

// `gatehouse()` middleware in the same Worker as a handler answering 200, bundled like the Worker is
function middlewareWorker(policiesFile: string, dir: string): Promise<string> {
  return bundle(dir, "middleware", `
import { Hono } from "hono/tiny";
import { gatehouse } from ${JSON.stringify(join(repoRoot, "shared/middleware/index.ts"))};
import policies from ${JSON.stringify(policiesFile)};
import routes from ${JSON.stringify(join(repoRoot, "policies/routes.json"))};
const app = new Hono();
app.use("*", gatehouse((env) => ({ ...JSON.parse(env.GATEHOUSE_CONFIG), routes }), { policies }));
app.all("*", (c) => c.text("ok"));
export default app;
`);
}

interface Server {
  readonly url: string;
  dispose(): Promise<void>;
}

async function serve(options: MiniflareOptions): Promise<Server> {
  // Every server pipes its workerd stderr into ours: more than Node's default of 10 listeners, by design
  process.stderr.setMaxListeners(32);
  // Workers' console output (one audit line per request) is drained, not printed: it is still written by the Worker
  const mf = new Miniflare({ host: "127.0.0.1", port: 0, handleRuntimeStdio: (stdout: NodeJS.ReadableStream, stderr: NodeJS.ReadableStream) => { stdout.resume(); stderr.pipe(process.stderr); }, ...options } as MiniflareOptions);
  const url = (await mf.ready).toString();
  return { url, dispose: () => mf.dispose() };
}

interface Run {
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
  total: number;
}

/**
 * Writes an autocannon `setupRequest` module that sends `tokens` in turn from `start`. The load runs
 * in a worker thread (`workers: 1`), so this thread stays free to drain workerd's stdout (the audit
 * lines): otherwise the pipe fills while autocannon keeps the thread busy, and workerd stalls on its writes.
 */
function tokenSetup(dir: string, name: string, tokensFile: string, start: number): string {
  const file = join(dir, `${name}-setup.cjs`);
  writeFileSync(file, `const tokens = require(${JSON.stringify(tokensFile)});\nlet next = ${start};\nmodule.exports = (request) => ({ ...request, headers: { ...request.headers, authorization: "Bearer " + tokens[next++ % tokens.length] } });\n`);
  return file;
}

const PATH = "/tenants/acme/orders";

async function load(url: string, setupFile: string | null, run: { seconds: number } | { amount: number }): Promise<Run> {
  const result = await autocannon({
    url: url.replace(/\/$/, "") + PATH,
    connections: CONNECTIONS,
    ...("seconds" in run ? { duration: Math.max(1, Math.round(run.seconds)) } : { amount: run.amount }),
    workers: 1,
    requests: [setupFile === null ? { method: "GET" } : { method: "GET", setupRequest: setupFile }],
  } as autocannon.Options);
  return { rps: Math.round(result.requests.average), p50: result.latency.p50, p99: result.latency.p99, non2xx: result.non2xx + result.errors, total: result.requests.total };
}

function median(runs: Run[]): Run {
  const sorted = [...runs].sort((a, b) => a.rps - b.rps);
  const middle = sorted[Math.floor(sorted.length / 2)];
  return { ...middle, non2xx: runs.reduce((sum, run) => sum + run.non2xx, 0) };
}

const ratio = (a: number, b: number) => (b > 0 ? Math.round((a / b) * 100) / 100 : 0);

/**
 * `npm run bench`'s Worker figures. Quick mode: 1 s per variant, one round, without the two
 * diagnostic rows (sampled audit, in-memory revocation list); full: 6 s per variant in three interleaved rounds.
 */
export async function benchWorker(opts: { quick: boolean }): Promise<WorkerBenchResult> {
  const rounds = opts.quick ? 1 : 3;
  const seconds = opts.quick ? 1 : 2;
  // Under the project: Miniflare names modules relative to the working directory and refuses `..`
  mkdirSync(join(repoRoot, ".gatehouse"), { recursive: true });
  const dir = mkdtempSync(join(repoRoot, ".gatehouse", "bench-worker-"));
  const key = await createTestKey("ES256");
  const jwks = await startJwksServer([key.publicJwk]);
  const servers: Server[] = [];
  try {
    // Built for infra/wrangler.toml's example configuration, as `build:worker` deploys it: no optional
    // features, which the configurations below do not use either; `worker_gzip_bytes` is this bundle
    const built = await buildWorker({ outDir: join(dir, "worker") });
    const [middlewareScript, honoScript, honoFloorScript] = await Promise.all([middlewareWorker(join(dir, "worker", "policies.js"), dir), honoJwkWorker(key, dir), honoJwkFloorWorker(key, dir)]);
    const claims = { sub: "vera", tenant: "acme", groups: ["viewer"], scope: "orders:read", amr: ["pwd"] };
    const mint = () => mintToken(key, claims, { issuer: ISSUER, audience: AUDIENCE, ttlSeconds: 3600 });
    const reusedFile = join(dir, "reused.json");
    writeFileSync(reusedFile, JSON.stringify(await Promise.all(Array.from({ length: 100 }, mint))));
    // Fresh tokens, minted before any load: each fresh-token run starts at its own offset, so no
    // Worker sees a token twice unless a run outpaces MAX_FRESH_RPS (reported below)
    const freshPerRun = MAX_FRESH_RPS * seconds;
    const freshTokens: string[] = [];
    for (let i = 0; i < freshPerRun * rounds; i++) freshTokens.push(await mint());
    const freshFile = join(dir, "fresh.json");
    writeFileSync(freshFile, JSON.stringify(freshTokens));
    const reused = tokenSetup(dir, "reused", reusedFile, 0);
    const freshAt = (round: number) => tokenSetup(dir, `fresh-${round}`, freshFile, round * freshPerRun);

    const config = {
      token: { issuers: [{ issuer: ISSUER, audience: AUDIENCE, algorithms: ["ES256"], jwksUri: jwks.url }] },
      revocation: { store: { kind: "kv" } },
    };
    const origin = { name: "origin", modules: true, script: TRIVIAL, compatibilityDate: COMPAT };
    const gatehouseWorker = (changes: object, more: object = {}) => ({
      workers: [
        { name: "gatehouse", modules: true, scriptPath: built.bundlePath, compatibilityDate: COMPAT, bindings: { GATEHOUSE_CONFIG: JSON.stringify({ ...config, ...changes }) }, kvNamespaces: ["REVOCATIONS"], serviceBindings: { ORIGIN: "origin" }, ...more },
        origin,
      ],
    }) as unknown as MiniflareOptions;
    // Started together: each is its own workerd process, and starting is mostly waiting
    const diagnostics = !opts.quick;
    const [direct, proxy, loggingProxy, identityProxy, gatehouse, middleware, honoJwk, honoJwkFloor, sampled, memoryList, withMetrics] = await Promise.all([
      serve({ modules: true, script: TRIVIAL, compatibilityDate: COMPAT } as MiniflareOptions),
      serve({ workers: [{ name: "proxy", modules: true, script: PROXY, compatibilityDate: COMPAT, serviceBindings: { ORIGIN: "origin" } }, origin] } as unknown as MiniflareOptions),
      serve({ workers: [{ name: "proxy", modules: true, script: LOGGING_PROXY, compatibilityDate: COMPAT, serviceBindings: { ORIGIN: "origin" } }, origin] } as unknown as MiniflareOptions),
      serve({ workers: [{ name: "proxy", modules: true, script: IDENTITY_PROXY, compatibilityDate: COMPAT, serviceBindings: { ORIGIN: "origin" } }, origin] } as unknown as MiniflareOptions),
      serve(gatehouseWorker({})),
      serve({ modules: true, scriptPath: middlewareScript, compatibilityDate: COMPAT, bindings: { GATEHOUSE_CONFIG: JSON.stringify(config) }, kvNamespaces: ["REVOCATIONS"] } as MiniflareOptions),
      serve({ modules: true, scriptPath: honoScript, compatibilityDate: COMPAT } as MiniflareOptions),
      serve({ modules: true, scriptPath: honoFloorScript, compatibilityDate: COMPAT, kvNamespaces: ["REVOCATIONS"] } as MiniflareOptions),
      diagnostics ? serve(gatehouseWorker({ audit: { allowSampleRate: 0.1 } })) : null,
      diagnostics ? serve(gatehouseWorker({ revocation: { store: { kind: "memory" } } })) : null,
      // Metrics are off in the other Gatehouse rows (no binding); here Miniflare's own Analytics Engine binding takes them
      diagnostics ? serve(gatehouseWorker({}, { analyticsEngineDatasets: { GATEHOUSE_METRICS: { dataset: "gatehouse_decisions" } } })) : null,
    ]);
    for (const server of [direct, proxy, loggingProxy, identityProxy, gatehouse, middleware, honoJwk, honoJwkFloor, sampled, memoryList, withMetrics]) if (server !== null) servers.push(server);

    // Warm-up, a fixed number of requests each: JIT, the JWKS fetch, isolate start
    // (all at once: warm-up figures are not used)
    const warm = { amount: opts.quick ? 150 : 1000 };
    await Promise.all([
      load(direct.url, reused, warm),
      load(proxy.url, reused, warm),
      load(loggingProxy.url, reused, warm),
      load(identityProxy.url, reused, warm),
      ...[gatehouse, middleware, honoJwk, honoJwkFloor, sampled, memoryList, withMetrics].map((server) => (server === null ? null : load(server.url, reused, warm))),
    ]);

    // Interleaved rounds, so a burst of load from elsewhere on the machine hits every variant alike
    type Name = "direct" | "proxy" | "loggingProxy" | "identityProxy" | "gatehouse" | "fresh" | "sampled" | "memoryList" | "metrics" | "middleware" | "middlewareFresh" | "hono" | "honoFloor";
    const runs: Record<Name, Run[]> = { direct: [], proxy: [], loggingProxy: [], identityProxy: [], gatehouse: [], fresh: [], sampled: [], memoryList: [], metrics: [], middleware: [], middlewareFresh: [], hono: [], honoFloor: [] };
    const time = { seconds };
    for (let round = 0; round < rounds; round++) {
      const fresh = freshAt(round);
      // The baselines get the same requests as the Gatehouse rows, token header included: the load
      // generator builds each one in this process, and workerd parses and forwards its bytes
      runs.direct.push(await load(direct.url, reused, time));
      runs.proxy.push(await load(proxy.url, reused, time));
      runs.loggingProxy.push(await load(loggingProxy.url, reused, time));
      runs.identityProxy.push(await load(identityProxy.url, reused, time));
      runs.gatehouse.push(await load(gatehouse.url, reused, time));
      if (withMetrics !== null) runs.metrics.push(await load(withMetrics.url, reused, time));
      runs.fresh.push(await load(gatehouse.url, fresh, time));
      if (sampled !== null) runs.sampled.push(await load(sampled.url, reused, time));
      if (memoryList !== null) runs.memoryList.push(await load(memoryList.url, fresh, time));
      runs.middleware.push(await load(middleware.url, reused, time));
      runs.middlewareFresh.push(await load(middleware.url, fresh, time));
      runs.hono.push(await load(honoJwk.url, fresh, time));
      runs.honoFloor.push(await load(honoJwkFloor.url, fresh, time));
    }
    const m = Object.fromEntries(Object.entries(runs).filter(([, list]) => list.length > 0).map(([name, list]) => [name, median(list)])) as Partial<Record<Name, Run>> & Record<"direct" | "proxy" | "loggingProxy" | "identityProxy" | "gatehouse" | "fresh" | "middleware" | "middlewareFresh" | "hono" | "honoFloor", Run>;
    for (const [name, list] of Object.entries(runs)) {
      const bad = list.reduce((sum, run) => sum + run.non2xx, 0);
      if (bad > 0) console.warn(`bench worker: ${name}: ${bad} requests were not 2xx`);
      if ((name === "fresh" || name === "memoryList" || name === "middlewareFresh" || name === "hono" || name === "honoFloor") && list.some((run) => run.total > freshPerRun)) {
        console.warn(`bench worker: ${name}: a run sent more requests than it had fresh tokens; some tokens were reused`);
      }
    }
    const row = (variant: string, run: Run, what: string): WorkerBenchRow => ({ variant, rps: run.rps, p50_ms: run.p50, p99_ms: run.p99, what });
    return {
      baseline_rps: m.direct.rps,
      proxy_rps: m.proxy.rps,
      gatehouse_rps: m.gatehouse.rps,
      ratio: ratio(m.gatehouse.rps, m.proxy.rps),
      logging_proxy_rps: m.loggingProxy.rps,
      logging_proxy_ratio: ratio(m.loggingProxy.rps, m.proxy.rps),
      logging_ratio: ratio(m.gatehouse.rps, m.loggingProxy.rps),
      identity_proxy_rps: m.identityProxy.rps,
      identity_proxy_ratio: ratio(m.identityProxy.rps, m.proxy.rps),
      floor_ratio: ratio(m.gatehouse.rps, m.identityProxy.rps),
      direct_ratio: ratio(m.gatehouse.rps, m.direct.rps),
      p50_ms: m.gatehouse.p50,
      p99_ms: m.gatehouse.p99,
      fresh_token_rps: m.fresh.rps,
      middleware_fresh_rps: m.middlewareFresh.rps,
      hono_jwk_rps: m.hono.rps,
      fresh_ratio: ratio(m.middlewareFresh.rps, m.hono.rps),
      hono_jwk_floor_rps: m.honoFloor.rps,
      fresh_floor_ratio: ratio(m.middlewareFresh.rps, m.honoFloor.rps),
      middleware_rps: m.middleware.rps,
      middleware_ratio: ratio(m.middleware.rps, m.direct.rps),
      sampled_audit_rps: m.sampled?.rps ?? null,
      fresh_memory_revocation_rps: m.memoryList?.rps ?? null,
      metrics_rps: m.metrics?.rps ?? null,
      metrics_ratio: m.metrics === undefined ? null : ratio(m.metrics.rps, m.gatehouse.rps),
      rows: [
        row("direct", m.direct, "answers 200 (same requests, token header included); baseline of the middleware rows"),
        row("proxy", m.proxy, "forwards to an origin Worker answering 200 (service binding), same requests as gatehouse; baseline of the gatehouse rows"),
        row("proxy_logging", m.loggingProxy, `as proxy, and one ${AUDIT_LINE_BYTES}-byte console.log line per request (an audit line's length): Miniflare's stdout pipe`),
        row("proxy_identity", m.identityProxy, "as proxy_logging, and the request copied with inbound x-gatehouse-* stripped and the three identity headers set: an allow's platform work, no Gatehouse code; floor of the gatehouse row"),
        row("gatehouse", m.gatehouse, "Gatehouse Worker, 100 reused tokens, allow, audit line to stdout, forwards like proxy"),
        row("gatehouse_fresh", m.fresh, "as gatehouse, a new token every request (signature check, revocation read for the new jti)"),
        ...(m.sampled === undefined ? [] : [row("gatehouse_sampled", m.sampled, "as gatehouse, with audit.allowSampleRate 0.1 (allow lines sampled, deny lines all written)")]),
        ...(m.memoryList === undefined ? [] : [row("gatehouse_fresh_memlist", m.memoryList, "as gatehouse_fresh, revocation list in isolate memory, not KV: not for production, shows Miniflare's KV read cost")]),
        ...(m.metrics === undefined ? [] : [row("gatehouse_metrics", m.metrics, "as gatehouse, with decision metrics on (Miniflare's Analytics Engine binding); vs gatehouse")]),
        row("middleware", m.middleware, "gatehouse() Hono middleware before a 200 handler, 100 reused tokens, audit to stdout; vs direct"),
        row("middleware_fresh", m.middlewareFresh, "as middleware, a new token every request; vs hono_jwk"),
        row("hono_jwk", m.hono, "Hono jwk() middleware alone before a 200 handler, a new token every request"),
        row("hono_jwk_floor", m.honoFloor, "as hono_jwk, and one KV read of the token's jti and one audit-line-long console.log: a fresh token's platform work; floor of middleware_fresh"),
      ],
      worker_gzip_bytes: built.gzipBytes,
    };
  } finally {
    await Promise.all(servers.map((server) => server.dispose().catch(() => undefined)));
    await jwks.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1]?.endsWith("worker.ts") && process.argv.includes("--run")) {
  console.log(await benchWorker({ quick: process.argv.includes("--quick") }));
}
