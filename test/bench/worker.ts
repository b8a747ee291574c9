// The Worker bundle in Miniflare on loopback, side by side with a trivial Worker and with Hono's own
// `jwk` middleware, under autocannon. Same duration and connections for each; run one after another.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import autocannon from "autocannon";
import { build } from "esbuild";
import { Miniflare, type MiniflareOptions } from "miniflare";
import { buildWorker } from "../../tools/build/worker.ts";
import { repoRoot } from "../harness/corpus.ts";
import { startJwksServer } from "../harness/jwks-server.ts";
import { createTestKey, mintToken, type TestKey } from "../harness/tokens.ts";

export interface WorkerBenchResult {
  /** Requests/s of a Worker that answers 200 at once. */
  baseline_rps: number;
  /** Requests/s of the Gatehouse bundle, 100 tokens reused, allowed and forwarded to a 200 origin Worker. */
  gatehouse_rps: number;
  /** gatehouse_rps / baseline_rps (goal ≥ 0.8). */
  ratio: number;
  /** Latency of the reused-token run, ms. */
  p50_ms: number;
  p99_ms: number;
  /** Requests/s of the Gatehouse bundle with a token never seen before on every request. */
  fresh_token_rps: number;
  /** Requests/s of a Worker with Hono's `jwk` middleware alone, fresh tokens (goal: fresh_token_rps ≥ this). */
  hono_jwk_rps: number;
  /** fresh_token_rps / hono_jwk_rps. */
  fresh_ratio: number;
  /** Requests/s of a Worker that only forwards to the same origin Worker: the cost of the proxy hop alone. */
  proxy_rps: number;
  /** gatehouse_rps / proxy_rps: what authorizing adds to a proxy. */
  proxy_ratio: number;
  /** Requests/s of `gatehouse()` as Hono middleware in front of a handler answering 200 (no hop), 100 reused tokens. */
  middleware_rps: number;
  /** middleware_rps / baseline_rps. */
  middleware_ratio: number;
  /** The deployable bundle, gzip -9 (goal ≤ 65536). */
  worker_gzip_bytes: number;
}

const ISSUER = "https://bench.gatehouse.local";
const AUDIENCE = "gatehouse-bench";
const TRIVIAL = 'export default { fetch() { return new Response("ok"); } };';
const CONNECTIONS = 16;

async function honoJwkWorker(key: TestKey, dir: string): Promise<string> {
  const entry = join(dir, "hono-jwk.ts");
  writeFileSync(entry, `
import { Hono } from "hono/tiny";
import { jwk } from "hono/jwk";
const app = new Hono();
app.use("*", jwk({ keys: [${JSON.stringify(key.publicJwk)}], alg: ["ES256"], verification: { iss: ${JSON.stringify(ISSUER)}, aud: ${JSON.stringify(AUDIENCE)} } }));
app.all("*", (c) => c.text("ok"));
export default app;
`);
  const out = join(dir, "hono-jwk.js");
  await build({ entryPoints: [entry], bundle: true, format: "esm", platform: "neutral", minify: true, outfile: out, nodePaths: [join(repoRoot, "node_modules")], logLevel: "error" });
  return out;
}

const PROXY = 'export default { fetch(request, env) { return env.ORIGIN.fetch(request); } };';

// `gatehouse()` middleware in the same Worker as a handler answering 200, bundled like the Worker is
async function middlewareWorker(policiesFile: string, dir: string): Promise<string> {
  const entry = join(dir, "middleware.ts");
  writeFileSync(entry, `
import { Hono } from "hono/tiny";
import { gatehouse } from ${JSON.stringify(join(repoRoot, "shared/middleware/index.ts"))};
import policies from ${JSON.stringify(policiesFile)};
import routes from ${JSON.stringify(join(repoRoot, "policies/routes.json"))};
const app = new Hono();
app.use("*", gatehouse((env) => ({ ...JSON.parse(env.GATEHOUSE_CONFIG), routes }), { policies }));
app.all("*", (c) => c.text("ok"));
export default app;
`);
  const out = join(dir, "middleware.js");
  await build({ entryPoints: [entry], bundle: true, format: "esm", platform: "neutral", minify: true, outfile: out, nodePaths: [join(repoRoot, "node_modules")], logLevel: "error" });
  return out;
}

async function serve(options: MiniflareOptions): Promise<{ url: string; dispose(): Promise<void> }> {
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
}

/**
 * Writes an autocannon `setupRequest` module that sends `tokens` in turn. The load runs in a worker
 * thread (`workers: 1`), so this thread stays free to drain workerd's stdout (the audit lines):
 * otherwise the pipe fills while autocannon keeps the thread busy, and workerd stalls on its writes.
 */
function tokenSetup(dir: string, name: string, tokens: readonly string[]): string {
  const tokensFile = join(dir, `${name}-tokens.json`);
  writeFileSync(tokensFile, JSON.stringify(tokens));
  const file = join(dir, `${name}-setup.cjs`);
  writeFileSync(file, `const tokens = require(${JSON.stringify(tokensFile)});\nlet next = 0;\nmodule.exports = (request) => ({ ...request, headers: { ...request.headers, authorization: "Bearer " + tokens[next++ % tokens.length] } });\n`);
  return file;
}

async function load(url: string, seconds: number, setupFile: string | null, path: string): Promise<Run> {
  const result = await autocannon({
    url: url.replace(/\/$/, "") + path,
    connections: CONNECTIONS,
    duration: Math.max(1, Math.round(seconds)),
    workers: 1,
    requests: [setupFile === null ? { method: "GET" } : { method: "GET", setupRequest: setupFile }],
  } as autocannon.Options);
  return { rps: Math.round(result.requests.average), p50: result.latency.p50, p99: result.latency.p99, non2xx: result.non2xx + result.errors };
}

function median(runs: Run[]): Run {
  const sorted = [...runs].sort((a, b) => a.rps - b.rps);
  const middle = sorted[Math.floor(sorted.length / 2)];
  return { ...middle, non2xx: runs.reduce((sum, run) => sum + run.non2xx, 0) };
}

/** `npm run bench`'s Worker figures. Quick mode: 1 s per variant; full: 6 s per variant in three interleaved rounds. */
export async function benchWorker(opts: { quick: boolean }): Promise<WorkerBenchResult> {
  const seconds = opts.quick ? 1 : 6;
  // Under the project: Miniflare names modules relative to the working directory and refuses `..`
  mkdirSync(join(repoRoot, ".gatehouse"), { recursive: true });
  const dir = mkdtempSync(join(repoRoot, ".gatehouse", "bench-worker-"));
  const key = await createTestKey("ES256");
  const jwks = await startJwksServer([key.publicJwk]);
  const servers: { dispose(): Promise<void> }[] = [];
  try {
    const built = await buildWorker({ outDir: join(dir, "worker") });
    const claims = { sub: "vera", tenant: "acme", groups: ["viewer"], scope: "orders:read", amr: ["pwd"] };
    const mint = () => mintToken(key, claims, { issuer: ISSUER, audience: AUDIENCE, ttlSeconds: 3600 });
    const reusedTokens = await Promise.all(Array.from({ length: 100 }, mint));
    // Enough fresh tokens for the run at a generous rate, minted before it starts
    const freshCount = opts.quick ? 6_000 : 20_000;
    const freshTokens: string[] = [];
    for (let i = 0; i < freshCount; i++) freshTokens.push(await mint());
    const reused = tokenSetup(dir, "reused", reusedTokens);
    const fresh = tokenSetup(dir, "fresh", freshTokens);

    const config = {
      token: { issuers: [{ issuer: ISSUER, audience: AUDIENCE, algorithms: ["ES256"], jwksUri: jwks.url }] },
      revocation: { store: { kind: "kv" } },
    };
    const baseline = await serve({ modules: true, script: TRIVIAL, compatibilityDate: "2025-09-01" } as MiniflareOptions);
    servers.push(baseline);
    const gatehouse = await serve({
      workers: [
        { name: "gatehouse", modules: true, scriptPath: built.bundlePath, compatibilityDate: "2025-09-01", bindings: { GATEHOUSE_CONFIG: JSON.stringify(config) }, kvNamespaces: ["REVOCATIONS"], serviceBindings: { ORIGIN: "origin" } },
        { name: "origin", modules: true, script: TRIVIAL, compatibilityDate: "2025-09-01" },
      ],
    } as unknown as MiniflareOptions);
    servers.push(gatehouse);
    const proxy = await serve({
      workers: [
        { name: "proxy", modules: true, script: PROXY, compatibilityDate: "2025-09-01", serviceBindings: { ORIGIN: "origin" } },
        { name: "origin", modules: true, script: TRIVIAL, compatibilityDate: "2025-09-01" },
      ],
    } as unknown as MiniflareOptions);
    servers.push(proxy);
    const middleware = await serve({
      modules: true, scriptPath: await middlewareWorker(join(dir, "worker", "policies.js"), dir), compatibilityDate: "2025-09-01",
      bindings: { GATEHOUSE_CONFIG: JSON.stringify(config) }, kvNamespaces: ["REVOCATIONS"],
    } as MiniflareOptions);
    servers.push(middleware);
    const honoJwk = await serve({ modules: true, scriptPath: await honoJwkWorker(key, dir), compatibilityDate: "2025-09-01" } as MiniflareOptions);
    servers.push(honoJwk);

    const path = "/tenants/acme/orders";
    // warm-up: JIT, the JWKS fetch, isolate start
    await load(baseline.url, 1, null, path);
    await load(gatehouse.url, 1, reused, path);
    await load(honoJwk.url, 1, reused, path);
    await load(proxy.url, 1, null, path);
    await load(middleware.url, 1, reused, path);

    // Interleaved rounds, so a burst of load from elsewhere on the machine hits every variant alike;
    // each variant gets the same total time, and the median round is reported
    const rounds = opts.quick ? 1 : 3;
    const runs: Record<"base" | "reused" | "fresh" | "hono" | "proxy" | "middleware", Run[]> = { base: [], reused: [], fresh: [], hono: [], proxy: [], middleware: [] };
    for (let round = 0; round < rounds; round++) {
      runs.base.push(await load(baseline.url, seconds / rounds, null, path));
      runs.reused.push(await load(gatehouse.url, seconds / rounds, reused, path));
      runs.fresh.push(await load(gatehouse.url, seconds / rounds, fresh, path));
      runs.hono.push(await load(honoJwk.url, seconds / rounds, fresh, path));
      runs.proxy.push(await load(proxy.url, seconds / rounds, null, path));
      runs.middleware.push(await load(middleware.url, seconds / rounds, reused, path));
    }
    const base = median(runs.base);
    const reusedRun = median(runs.reused);
    const freshRun = median(runs.fresh);
    const honoRun = median(runs.hono);
    const proxyRun = median(runs.proxy);
    const middlewareRun = median(runs.middleware);
    for (const [name, run] of [["gatehouse", reusedRun], ["gatehouse fresh", freshRun], ["hono jwk", honoRun], ["middleware", middlewareRun]] as const) {
      if (run.non2xx > 0) console.warn(`bench worker: ${name}: ${run.non2xx} requests were not 2xx`);
    }
    return {
      baseline_rps: base.rps,
      gatehouse_rps: reusedRun.rps,
      ratio: Math.round((reusedRun.rps / base.rps) * 100) / 100,
      p50_ms: reusedRun.p50,
      p99_ms: reusedRun.p99,
      fresh_token_rps: freshRun.rps,
      hono_jwk_rps: honoRun.rps,
      fresh_ratio: Math.round((freshRun.rps / honoRun.rps) * 100) / 100,
      proxy_rps: proxyRun.rps,
      proxy_ratio: Math.round((reusedRun.rps / proxyRun.rps) * 100) / 100,
      middleware_rps: middlewareRun.rps,
      middleware_ratio: Math.round((middlewareRun.rps / base.rps) * 100) / 100,
      worker_gzip_bytes: built.gzipBytes,
    };
  } finally {
    for (const server of servers) await server.dispose().catch(() => undefined);
    await jwks.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1]?.endsWith("worker.ts") && process.argv.includes("--run")) {
  console.log(await benchWorker({ quick: process.argv.includes("--quick") }));
}
