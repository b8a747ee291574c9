// The built Gatehouse Worker bundle in Miniflare (real workerd), in front of an origin the test
// controls, with a revocation KV namespace the test can switch off.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { Miniflare, type MiniflareOptions } from "miniflare";
import { buildWorker } from "../../tools/build/worker.ts";
import { repoRoot } from "./corpus.ts";
import type { KVNamespaceLike } from "./miniflare.ts";

const SOURCES = ["shared", "functions/worker", "policies", "infra/wrangler.toml", "tools/build/worker.ts", "tools/build/features.ts", "tools/compiler"];

function hashSources(root: string): string {
  const hash = createHash("sha256");
  const walk = (path: string): void => {
    const stat = statSync(path);
    if (stat.isDirectory()) {
      for (const name of readdirSync(path).sort()) walk(join(path, name));
    } else {
      hash.update(path).update(readFileSync(path));
    }
  };
  for (const source of SOURCES) if (existsSync(join(root, source))) walk(join(root, source));
  return hash.digest("hex").slice(0, 16);
}

let building: Promise<string> | undefined;

/**
 * Builds the Worker bundle with `buildWorker` (wrangler's dry run) into `.gatehouse/test-bundles/<hash>/`,
 * once per source state: later test files and runs reuse it while no source changed. It carries every
 * optional feature, since the tests run it with many configurations.
 */
export function workerBundle(): Promise<string> {
  building ??= (async () => {
    const root = repoRoot;
    const outDir = join(root, ".gatehouse", "test-bundles", hashSources(root));
    const bundlePath = join(outDir, "index.js");
    if (existsSync(bundlePath)) return bundlePath;
    // Bundles of older sources are dropped once they are ten minutes old (a parallel run may still use a recent one)
    const bundles = join(root, ".gatehouse", "test-bundles");
    if (existsSync(bundles)) {
      for (const name of readdirSync(bundles)) {
        const dir = join(bundles, name);
        if (Date.now() - statSync(dir).mtimeMs > 600_000) rmSync(dir, { recursive: true, force: true });
      }
    }
    mkdirSync(outDir, { recursive: true });
    return (await buildWorker({ outDir, features: "all" })).bundlePath;
  })();
  return building;
}

/** How the wrapped revocation namespace behaves: `ok` (the real KV), `down` (every read throws), `hang` (reads never answer). */
export type KvMode = "ok" | "down" | "hang";

// A KV binding that forwards to a real namespace, unless the control key says otherwise
const KV_SWITCH = `
export default function (env) {
  const inner = env.INNER;
  async function mode() { return (await env.CONTROL.get("mode")) ?? "ok"; }
  async function guard() {
    const m = await mode();
    if (m === "down") throw new Error("kv is down");
    if (m === "hang") await new Promise(() => {});
  }
  return {
    async get(key, options) { await guard(); return inner.get(key, options); },
    async put(key, value, options) { await guard(); return inner.put(key, value, options); },
    async delete(key) { await guard(); return inner.delete(key); },
    async list(options) { await guard(); return inner.list(options); },
  };
}`;

export interface OriginRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly body: string;
}

export interface GatehouseUnderTest {
  readonly mf: Miniflare;
  fetch(path: string, init?: RequestInit): Promise<Response>;
  /** The real revocation namespace behind the switch. */
  kv(): Promise<KVNamespaceLike & { list(options?: { prefix?: string }): Promise<{ keys: { name: string }[]; list_complete: boolean }> }>;
  setKvMode(mode: KvMode): Promise<void>;
  /** What the origin received, in order. */
  readonly originRequests: OriginRequest[];
  /**
   * The audit lines (JSON, with `decision_id`) workerd printed so far, waiting until there are at
   * least `count`; only with `captureStdout`, else none.
   */
  auditLines(count: number): Promise<Array<Record<string, unknown>>>;
  stop(): Promise<void>;
}

export interface StartGatehouseOptions {
  /** The `GatehouseConfig` as JSON; `routes` defaults to the bundled policies/routes.json. */
  readonly config: unknown;
  readonly bundlePath: string;
  /** A directory holding the KV data on disk, so a CLI (`--kv-persist DIR --kv-namespace revocations`) can write to it. */
  readonly kvPersist?: string;
  /** Keep workerd's stdout (the audit lines) for `auditLines` instead of printing it; default `false`. */
  readonly captureStdout?: boolean;
}

/** Starts the bundle with `GATEHOUSE_CONFIG`, an `ORIGIN` service binding that echoes, and a switchable `REVOCATIONS` KV. */
export async function startGatehouse(options: StartGatehouseOptions): Promise<GatehouseUnderTest> {
  const originRequests: OriginRequest[] = [];
  let out = "";
  const stdio = {
    handleRuntimeStdio: (stdout: Readable, stderr: Readable) => {
      stdout.setEncoding("utf8").on("data", (chunk: string) => (out += chunk));
      stderr.resume();
    },
  };
  const mf = new Miniflare({
    ...(options.kvPersist === undefined ? {} : { kvPersist: options.kvPersist }),
    ...(options.captureStdout === true ? stdio : {}),
    workers: [
      {
        name: "gatehouse",
        modules: true,
        scriptPath: options.bundlePath,
        compatibilityDate: "2025-09-01",
        bindings: { GATEHOUSE_CONFIG: JSON.stringify(options.config) },
        serviceBindings: {
          ORIGIN: async (request: Request) => {
            const headers: Record<string, string> = {};
            request.headers.forEach((value, name) => (headers[name] = value));
            const body = await request.text();
            originRequests.push({ method: request.method, url: request.url, headers, body });
            return new Response(JSON.stringify({ origin: "ok", path: new URL(request.url).pathname }), { status: 200, headers: { "content-type": "application/json" } });
          },
        },
        wrappedBindings: { REVOCATIONS: { scriptName: "kv-switch" } },
      },
      { name: "kv-switch", modules: true, script: KV_SWITCH, kvNamespaces: { INNER: "revocations", CONTROL: "control" } },
    ],
  } as unknown as MiniflareOptions);
  await mf.ready;
  return {
    mf,
    originRequests,
    fetch: (path, init) => mf.dispatchFetch(new URL(path, "http://gatehouse.test").toString(), init as never) as unknown as Promise<Response>,
    kv: async () => (await mf.getKVNamespace("INNER", "kv-switch")) as never,
    auditLines: async (count) => {
      const lines = () => out.split("\n").filter((line) => line.startsWith("{") && line.includes('"decision_id"'));
      // workerd's stdout reaches us through a pipe, a moment after the response
      for (let waited = 0; lines().length < count && waited < 10_000; waited += 20) await new Promise((r) => setTimeout(r, 20));
      return lines().map((line) => JSON.parse(line) as Record<string, unknown>);
    },
    setKvMode: async (mode) => {
      const control = (await mf.getKVNamespace("CONTROL", "kv-switch")) as unknown as KVNamespaceLike;
      await control.put("mode", mode);
    },
    stop: () => mf.dispose(),
  };
}
