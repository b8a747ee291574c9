// The package as users get it (issue #15): build it, pack it, install the tarball into a project
// outside this repository with real npm (offline: the tarball plus the npm cache), then walk the
// user's path: the CLI, `gatehouse init`, build, test, dev, plain-Node imports of every subpath and
// a TypeScript consumer. Spawns npm, tsc, the CLI and Miniflare: seconds apiece.
import { spawn, spawnSync, type SpawnSyncReturns } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { repoRoot } from "../harness/index.ts";
import { writeConsumerProject } from "./consumer.ts";

vi.setConfig({ testTimeout: 120_000 });

const ROOT = repoRoot;
const NPM = process.platform === "win32" ? "npm.cmd" : "npm";
let work: string;
let tarball: string;
let consumer: string;
let packed: { filename: string; size: number; files: { path: string }[] };

function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): SpawnSyncReturns<string> {
  return spawnSync(command, args, { cwd, encoding: "utf8", env: { ...process.env, NO_COLOR: "1", npm_config_update_notifier: "false", ...env }, timeout: 180_000 });
}

function ok(result: SpawnSyncReturns<string>): string {
  if (result.status !== 0) throw new Error(`exit ${result.status}:\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

/** Starts a server process and waits until its output matches `ready` (group 1: its url). */
async function startServer(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv, ready: RegExp) {
  const child = spawn(command, args, { cwd, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, NO_COLOR: "1", ...env } });
  let output = "";
  child.stdout.on("data", (chunk) => (output += chunk));
  child.stderr.on("data", (chunk) => (output += chunk));
  const exited = new Promise((resolve) => child.once("exit", resolve));
  const stop = async () => {
    if (child.exitCode === null) child.kill("SIGINT");
    await exited;
  };
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setInterval(() => {
      const match = ready.exec(output);
      if (match) (clearInterval(timer), resolve(match[1]));
      if (child.exitCode !== null) (clearInterval(timer), reject(new Error(`${command} exited ${child.exitCode}:\n${output}`)));
    }, 100);
  }).catch(async (error) => {
    await stop();
    throw error;
  });
  return { url, output: () => output, stop };
}

const gatehouse = (args: string[], cwd = consumer) => run(process.execPath, [join(consumer, "node_modules", ".bin", "gatehouse"), ...args], cwd);

beforeAll(() => {
  // Outside the repository, so nothing resolves from its node_modules by accident
  work = mkdtempSync(join(tmpdir(), "gatehouse-package-"));
  // `npm pack` builds the package first (`prepack`: npm run build:package), as in a fresh clone
  const output = ok(run(NPM, ["pack", "--json", "--pack-destination", work], ROOT));
  // The build's own lines come first; npm's JSON report is the array at the end
  [packed] = JSON.parse(output.slice(output.lastIndexOf("\n[\n") + 1)) as (typeof packed)[];
  tarball = join(work, packed.filename);
  consumer = join(work, "consumer");
  mkdirSync(consumer);
  writeConsumerProject(consumer, ROOT, tarball);
  ok(run(NPM, ["install", "--offline", "--prefer-offline", "--no-audit", "--no-fund"], consumer));
}, 600_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe("the tarball", () => {
  it("holds no tests, fixtures or TypeScript sources, only declarations", () => {
    const paths = packed.files.map((file) => file.path);
    expect(paths.filter((path) => path.startsWith("test/") || /\.test\./.test(path) || (path.endsWith(".ts") && !path.endsWith(".d.ts")))).toEqual([]);
    expect(paths).toEqual(expect.arrayContaining(["package.json", "README.md", "tools/cli/bin.js", "dist/lib/index.js", "dist/lib/types/shared/index.d.ts", "dist/lib/gatehouse.config.schema.json"]));
    console.log(`tarball: ${packed.files.length} files, ${packed.size} bytes`);
  });

  it("takes hono as a peer range and the store clients as optional peers", () => {
    const pkg = JSON.parse(readFileSync(join(consumer, "node_modules", "gatehouse", "package.json"), "utf8"));
    expect(pkg.peerDependencies.hono).toMatch(/^\^4\./);
    for (const client of ["ioredis", "@upstash/redis", "@aws-sdk/client-dynamodb", "@aws-sdk/client-s3", "@opentelemetry/sdk-metrics", "@opentelemetry/exporter-metrics-otlp-http", "@opentelemetry/resources"]) {
      expect(pkg.peerDependencies[client]).toBeDefined();
      expect(pkg.peerDependenciesMeta[client]).toEqual({ optional: true });
    }
    expect(pkg.dependencies.jose).toBeDefined();
    expect(pkg.dependencies.hono).toBeUndefined();
    // The optional peers stay out of a default install, so no Worker can bundle them by accident
    for (const client of ["ioredis", "@upstash/redis", "@aws-sdk/client-dynamodb", "@aws-sdk/client-s3", "@opentelemetry/sdk-metrics", "tsx"]) expect(existsSync(join(consumer, "node_modules", client))).toBe(false);
  });
});

describe("the installed CLI", () => {
  it("has no tsx anywhere in the tree", () => {
    const ls = run(NPM, ["ls", "tsx", "--all", "--parseable"], consumer);
    expect(ls.stdout.trim()).toBe("");
  });

  it("npx gatehouse --help exits 0 and loads no package but its own", () => {
    const help = run(NPM, ["exec", "--offline", "--", "gatehouse", "--help"], consumer);
    expect(help.status).toBe(0);
    expect(help.stdout).toContain("usage: gatehouse <command>");
    expect(help.stdout).toMatch(/^ {2}init {10}/m);
    // What makes start-up slow is what it loads: --help resolves nothing outside dist/lib (no tsx,
    // no jose, no cedar-wasm). The time itself is measured in the closing note, not asserted here.
    const hook = join(work, "resolve-hook.mjs");
    writeFileSync(hook, "export async function resolve(s, c, next) { const r = await next(s, c); if (!s.startsWith('node:')) process.stderr.write(`resolved ${r.url}\\n`); return r; }\n");
    writeFileSync(join(work, "register.mjs"), `import { register } from "node:module"; register(${JSON.stringify(`file://${hook}`)});\n`);
    const traced = run(process.execPath, ["--import", join(work, "register.mjs"), join(consumer, "node_modules", ".bin", "gatehouse"), "--help"], consumer);
    const loaded = traced.stderr.split("\n").filter((line) => line.startsWith("resolved ")).map((line) => line.slice(9));
    expect(loaded.length).toBeGreaterThan(2);
    expect(loaded.filter((url) => !url.includes("/node_modules/gatehouse/"))).toEqual([]);
  });
});

describe("gatehouse init, then build, test and dev", () => {
  it("writes a worker project, and refuses to overwrite it without --force", () => {
    const init = gatehouse(["init"]);
    expect(init.status, init.stderr).toBe(0);
    for (const file of ["gatehouse.config.json", "policies/schema.cedarschema", "policies/routes.json", "policies/tests/orders.yaml", "wrangler.toml", "src/worker.js"]) expect(existsSync(join(consumer, file)), file).toBe(true);
    const config = JSON.parse(readFileSync(join(consumer, "gatehouse.config.json"), "utf8"));
    expect(existsSync(join(consumer, config.$schema))).toBe(true);
    const scripts = JSON.parse(readFileSync(join(consumer, "package.json"), "utf8")).scripts;
    expect(Object.keys(scripts)).toEqual(expect.arrayContaining(["build", "test", "dev"]));

    const again = gatehouse(["init"]);
    expect(again.status).toBe(1);
    expect(again.stderr).toContain("pass --force to overwrite");
  });

  it("builds a policy module that imports the runtime from the package, and passes its tests", () => {
    ok(run(NPM, ["run", "build"], consumer));
    const module = readFileSync(join(consumer, "dist", "policies.js"), "utf8");
    expect(module).toContain('from "gatehouse/policy"');
    expect(module).not.toContain(ROOT);
    const test = gatehouse(["test"]);
    expect(test.status, test.stdout + test.stderr).toBe(0);
    expect(test.stdout.trimEnd().split("\n").at(-1)).toMatch(/^\d+ passed, 0 failed$/);
  });

  it("dev serves the Worker: /health 200, a guarded route 401 without a token", async () => {
    const server = await startServer(process.execPath, [join(consumer, "node_modules", ".bin", "gatehouse"), "dev", "--port", "0"], consumer, {}, /Worker on (http:\/\/127\.0\.0\.1:\d+)[\s\S]*ready;/);
    const { url } = server;
    try {
      expect((await fetch(`${url}/health`)).status).toBe(200);
      const denied = await fetch(`${url}/tenants/acme/orders`);
      expect(denied.status).toBe(401);
      expect(denied.headers.get("www-authenticate")).toMatch(/^Bearer/);
      const viewer = /^VIEWER=(\S+)$/m.exec(server.output())![1];
      expect((await fetch(`${url}/tenants/acme/orders`, { headers: { authorization: `Bearer ${viewer}` } })).status).toBe(200);
      console.log(`init project's Worker bundle: ${/bundle (\d+) bytes gzip/.exec(server.output())?.[1]} bytes gzip`);
    } finally {
      await server.stop();
    }
  });

  it("writes a lambda project on nodejs24.x and a node project with the forward-auth start line", () => {
    const lambda = join(work, "lambda-project");
    ok(gatehouse(["init", lambda, "--target", "lambda"]));
    const template = parse(readFileSync(join(lambda, "template.yaml"), "utf8"), { logLevel: "silent" });
    expect(template.Resources.AuthorizerFunction.Properties.Runtime).toBe("nodejs24.x");
    expect(readFileSync(join(lambda, "src", "handler.mjs"), "utf8")).toContain('from "gatehouse/lambda"');

    const node = join(work, "node-project");
    ok(gatehouse(["init", node, "--target", "node"]));
    expect(JSON.parse(readFileSync(join(node, "package.json"), "utf8")).scripts.start).toContain("gatehouse-forward-auth");
  });

  it("the node target's start line serves forward-auth from a CommonJS-typed project", async () => {
    // Inside the consumer, so `gatehouse` resolves from its node_modules; `npm init` writes "type": "commonjs"
    const project = join(consumer, "forward-auth");
    mkdirSync(project);
    writeFileSync(join(project, "package.json"), '{ "name": "fa", "type": "commonjs" }\n');
    ok(gatehouse(["init", "--target", "node"], project));
    ok(gatehouse(["build", "--config", "gatehouse.config.json"], project));
    const start = JSON.parse(readFileSync(join(project, "package.json"), "utf8")).scripts.start as string;
    const env = Object.fromEntries(start.split(" ").filter((word) => word.includes("=")).map((word) => word.split("=")));
    const server = await startServer(join(consumer, "node_modules", ".bin", "gatehouse-forward-auth"), [], project, { ...env, PORT: "0" }, /listening on (http:\/\/\S+)/);
    const { url } = server;
    try {
      const ask = (path: string) => fetch(`${url}/auth`, { headers: { "x-original-uri": path, "x-original-method": "GET" } });
      expect((await ask("/health")).status).toBe(200);
      expect((await ask("/tenants/acme/orders")).status).toBe(401);
    } finally {
      await server.stop();
    }
    // It started without OpenTelemetry installed (loaded only for an OTLP export); asking for one names what to install
    const otlp = run(join(consumer, "node_modules", ".bin", "gatehouse-forward-auth"), [], project, { ...env, PORT: "0", OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:9" });
    expect(otlp.status).toBe(1);
    expect(otlp.stderr).toContain("npm install @opentelemetry/sdk-metrics @opentelemetry/exporter-metrics-otlp-http @opentelemetry/resources");
  });
});

describe("the runtime entry points", () => {
  it.each(["gatehouse", "gatehouse/hono", "gatehouse/worker", "gatehouse/lambda", "gatehouse/node", "gatehouse/policy", "gatehouse/stores/memory", "gatehouse/stores/kv"])("%s imports in plain Node", (specifier) => {
    const imported = run(process.execPath, ["--input-type=module", "-e", `const m = await import(${JSON.stringify(specifier)}); if (Object.keys(m).length === 0) process.exit(3);`], consumer);
    expect(imported.status, imported.stderr).toBe(0);
  });

  it("typechecks the consumer's Hono app, and refuses a misused config", () => {
    const tsc = (file: string) => run(process.execPath, [join(consumer, "node_modules", "typescript", "bin", "tsc"), "--noEmit", "--strict", "--skipLibCheck", "--module", "nodenext", "--moduleResolution", "nodenext", "--target", "es2022", file], consumer);
    writeFileSync(
      join(consumer, "app.ts"),
      [
        'import { Hono } from "hono";',
        'import type { GatehouseConfig } from "gatehouse";',
        'import { gatehouse, type GatehouseDeps } from "gatehouse/hono";',
        "declare const config: GatehouseConfig;",
        "declare const deps: GatehouseDeps;",
        "const app = new Hono();",
        'app.use("/api/*", gatehouse(config, deps));',
        "",
      ].join("\n"),
    );
    const good = tsc("app.ts");
    expect(good.status, good.stdout).toBe(0);
    // Should not compile: a fail mode that does not exist, and a missing `revocation` (switched off only in writing)
    writeFileSync(join(consumer, "misuse.ts"), 'import { defineConfig } from "gatehouse";\nexport const a = defineConfig({ token: { issuers: [] }, routes: [], revocation: null, failMode: "sometimes" });\nexport const b = defineConfig({ token: { issuers: [] }, routes: [] });\n');
    const bad = tsc("misuse.ts");
    expect(bad.status).not.toBe(0);
    expect(bad.stdout).toContain("misuse.ts(2,");
    expect(bad.stdout).toContain("misuse.ts(3,");
  });
});

describe("the ecosystem's package checks", () => {
  it("publint reports no errors", () => {
    const lint = run(NPM, ["exec", "--offline", "--", "publint"], ROOT);
    expect(lint.status, lint.stdout + lint.stderr).toBe(0);
    expect(lint.stdout).not.toContain("Errors:");
  });

  it("are the types wrong: none for an ESM-only package (.attw.json)", () => {
    // The tarball packed above, which is what `attw --pack .` packs (without building it a second time)
    const attw = run(NPM, ["exec", "--offline", "--", "attw", tarball], ROOT);
    expect(attw.status, attw.stdout + attw.stderr).toBe(0);
  });
});
