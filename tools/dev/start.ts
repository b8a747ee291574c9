import { existsSync, mkdirSync, watch, type FSWatcher } from "node:fs";
import { join, resolve } from "node:path";
import { importJWK, type CryptoKey, type JWK } from "jose";
import { Miniflare } from "miniflare";
import type { GatehouseConfig } from "../../shared/config/index.ts";
import { ConfigError } from "../../shared/errors.ts";
import { buildWorker } from "../build/worker.ts";
import { DEV_AUDIENCE, DEV_ISSUER, loadDevKey } from "../dev-key/index.ts";
import { curlLine, devExamples, type DevExample, type DevSigner } from "./examples.ts";
import { loadDevConfig } from "./load-config.ts";
import { serveDemoOrigin, serveJwks, type LocalServer } from "./local-servers.ts";

/** Options of `startDev` (the flags of `gatehouse dev`). */
export interface DevOptions {
  /** Port of the Worker on 127.0.0.1; default 8787, from 0 (any free port) to 65535. */
  readonly port?: number;
  /** The policy project; default `policies/` under `cwd`. */
  readonly policiesDir?: string;
  /** A JSON `GatehouseConfig` to use instead of the dev issuer (see `loadDevConfig`). */
  readonly configFile?: string;
  /** A private JWK that signs for the configured first issuer, to print tokens with `configFile`. */
  readonly signingKeyFile?: string;
  /**
   * Shadow mode (issue #7): a candidate policy project bundled beside the enforced one; each audit
   * line records its answer, only the enforced set decides. Default none.
   */
  readonly shadowDir?: string;
  /** Emergency access: the break-glass policy project, for a `configFile` that sets `breakGlass` (docs/break-glass.md). Default none. */
  readonly breakGlassDir?: string;
  /** The project directory holding `.gatehouse/`; default `process.cwd()`. */
  readonly cwd?: string;
  /** Where messages go; default `console.log`. */
  readonly log?: (line: string) => void;
}

/** Where `gatehouse dev` answers readiness (`/health` stays the example's public, liveness route). */
export const DEV_READINESS_PATH = "/__gatehouse/ready";

/** A running dev server. */
export interface DevServer {
  readonly url: string;
  readonly examples: readonly DevExample[];
  /** Rebuilds the bundle and reloads the Worker (what a policy change does). */
  reload(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * `gatehouse dev`: compiles the policies, bundles the Worker as it deploys, and runs it in
 * Miniflare in front of a demo origin, with Miniflare KV for revocations persisted in
 * `.gatehouse/kv` (where `gatehouse revoke --kv-persist .gatehouse/kv` writes). Without
 * `configFile` it trusts the dev issuer, whose key (`.gatehouse/dev-key.json`, made on first start)
 * it serves as a JWKS on loopback. Policy changes rebuild and reload; a build error keeps the last
 * good Worker running.
 */
export async function startDev(options: DevOptions = {}): Promise<DevServer> {
  const cwd = resolve(options.cwd ?? process.cwd());
  const log = options.log ?? ((line: string) => console.log(line));
  const port = options.port ?? 8787;
  const policiesDir = resolve(cwd, options.policiesDir ?? "policies");
  if (!existsSync(policiesDir)) throw new ConfigError("--policies", `expected a policy project directory, got \`${policiesDir}\``);
  const shadowDir = options.shadowDir === undefined ? undefined : resolve(cwd, options.shadowDir);
  if (shadowDir !== undefined && !existsSync(shadowDir)) throw new ConfigError("--shadow", `expected a candidate policy project directory, got \`${shadowDir}\``);
  const breakGlassDir = options.breakGlassDir === undefined ? undefined : resolve(cwd, options.breakGlassDir);
  if (breakGlassDir !== undefined && !existsSync(breakGlassDir)) throw new ConfigError("--break-glass", `expected a break-glass policy project directory, got \`${breakGlassDir}\``);
  const stateDir = join(cwd, ".gatehouse");
  mkdirSync(stateDir, { recursive: true });

  const servers: LocalServer[] = [];
  let mf: Miniflare | undefined;
  let watcher: FSWatcher | undefined;
  const stop = async () => {
    watcher?.close();
    await mf?.dispose().catch(() => undefined);
    await Promise.all(servers.map((server) => server.close()));
  };

  try {
    let config: GatehouseConfig;
    let signer: DevSigner | undefined;
    if (options.configFile !== undefined) {
      config = loadDevConfig(resolve(cwd, options.configFile));
      if (options.signingKeyFile !== undefined) signer = await signerFromFile(resolve(cwd, options.signingKeyFile), config);
    } else {
      const key = await loadDevKey({ file: join(stateDir, "dev-key.json") });
      if (key.created) log(`created the dev signing key ${key.file} (ES256, kid ${key.kid})`);
      const jwks = await serveJwks([key.publicJwk]);
      servers.push(jwks);
      config = {
        token: { issuers: [{ issuer: DEV_ISSUER, audience: DEV_AUDIENCE, algorithms: ["ES256"], jwksUri: jwks.jwksUri }] },
        revocation: { store: { kind: "kv" }, ttlMs: 1000 },
        routes: undefined as never,
      };
      delete (config as { routes?: unknown }).routes;
      signer = { privateKey: key.privateKey, alg: "ES256", kid: key.kid, issuer: DEV_ISSUER, audience: DEV_AUDIENCE };
      log(`dev issuer ${DEV_ISSUER}: JWKS at ${jwks.jwksUri}`);
    }
    const origin = await serveDemoOrigin();
    servers.push(origin);

    const outDir = join(stateDir, "dev", "worker");
    // The bundle carries the optional features this configuration names
    let built = await buildWorker({ policiesDir, outDir, shadowDir, breakGlassDir, config });
    const workerOptions = () => ({
      modules: true,
      scriptPath: built.bundlePath,
      compatibilityDate: "2025-09-01",
      host: "127.0.0.1",
      port,
      // Readiness (key sets, revocation store) on a path of its own, in dev only
      bindings: { GATEHOUSE_CONFIG: JSON.stringify(config), ORIGIN_URL: origin.url, GATEHOUSE_READINESS_PATH: DEV_READINESS_PATH },
      kvNamespaces: { REVOCATIONS: "REVOCATIONS" },
      kvPersist: join(stateDir, "kv"),
    });
    mf = new Miniflare(workerOptions());
    const url = (await mf.ready).toString().replace(/\/$/, "");

    const reload = async () => {
      try {
        built = await buildWorker({ policiesDir, outDir, shadowDir, breakGlassDir, config });
        await mf!.setOptions(workerOptions());
        log(`policies rebuilt (version ${built.policyVersion.slice(0, 12)}); worker reloaded`);
      } catch (error) {
        log(`policies not reloaded, still serving the last good build: ${error instanceof Error ? error.message : String(error)}`);
      }
    };
    let timer: NodeJS.Timeout | undefined;
    let reloading = Promise.resolve();
    watcher = watch(policiesDir, { recursive: true }, () => {
      clearTimeout(timer);
      timer = setTimeout(() => (reloading = reloading.then(reload)), 200);
    });

    const { examples, tokens } = await devExamples(signer);
    log("");
    log(`gatehouse dev: Worker on ${url} in front of the demo origin ${origin.url}`);
    log(`readiness (key sets, revocation store): curl -i ${url}${DEV_READINESS_PATH}   # expect 200`);
    log(`policies ${policiesDir} (version ${built.policyVersion.slice(0, 12)}), bundle ${built.gzipBytes} bytes gzip; revocations in KV at ${join(stateDir, "kv")}`);
    if (built.shadowPolicyVersion !== null) log(`shadow mode: candidate policies ${shadowDir} (version ${built.shadowPolicyVersion.slice(0, 12)}) evaluated beside, never deciding; see \`shadow\` in the audit lines`);
    if (built.breakGlassPolicyVersion !== null) log(`break-glass policies ${breakGlassDir} (version ${built.breakGlassPolicyVersion.slice(0, 12)}) decide for break-glass tokens; see \`break_glass\` in the audit lines`);
    if (signer === undefined) log("no signing key given (--signing-key): bring tokens from your issuer");
    for (const [name, token] of Object.entries(tokens)) log(`${name}=${token}`);
    log("");
    for (const example of examples) {
      log(`# ${example.title}`);
      log(curlLine(example, url));
    }
    log("");
    log("revoke the viewer: npx gatehouse revoke --sub vera --iss https://dev.gatehouse.local --kv-persist .gatehouse/kv");
    log("ready; editing policies rebuilds; Ctrl-C stops");
    return { url, examples, reload: () => reload(), stop: async () => { clearTimeout(timer); await stop(); } };
  } catch (error) {
    await stop();
    throw error;
  }
}

async function signerFromFile(file: string, config: GatehouseConfig): Promise<DevSigner> {
  let jwk: JWK;
  try {
    jwk = JSON.parse((await import("node:fs")).readFileSync(file, "utf8")) as JWK;
  } catch {
    throw new ConfigError("--signing-key", `expected a private JWK file, got \`${file}\``);
  }
  const issuer = config.token?.issuers?.[0];
  const alg = jwk.alg ?? issuer?.algorithms?.[0];
  if (issuer === undefined || typeof alg !== "string" || typeof jwk.d !== "string") throw new ConfigError("--signing-key", "expected a private JWK (with `d` and `alg`) for the first configured issuer");
  const audience = Array.isArray(issuer.audience) ? issuer.audience[0] : issuer.audience ?? "";
  return { privateKey: (await importJWK(jwk, alg)) as CryptoKey, alg, kid: jwk.kid ?? "", issuer: issuer.issuer, audience };
}
