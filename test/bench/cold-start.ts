// Lambda cold start: a fresh `node` process imports the built bundle and makes its first decision
// (a real ES256 token, the example policies), minus a bare `node -e 0` measured in the same run.
// Also the same handler with cedar-wasm evaluating instead of the compiled policies, and the same probe
// importing an ES module whose handler allows at once: the Node work any `.mjs` handler costs (the ES
// module loader, fs/promises, the event's JSON) and no authorizer, so `lambda_over_empty_handler` is
// what Gatehouse itself adds. And a `node_floor` handler with no Gatehouse code doing what Node must do
// for any JWT authorizer's first decision (WebCrypto loaded, the key imported, one ES256 verify, a
// random id, one line on stdout), so `lambda_over_node_floor` is Gatehouse's own share.
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as cedar from "@cedar-policy/cedar-wasm/nodejs";
import { buildLambda } from "../../tools/build/lambda.ts";
import { repoRoot } from "../harness/corpus.ts";
import { createTestKey, mintToken } from "../harness/tokens.ts";

/** Cold-start figures in ms (medians, net of `node -e 0`) and the entry module's gzip size. */
export interface ColdStartFigures {
  lambda: number;
  lambda_cedar_wasm: number;
  node_bare: number;
  /** The probe with an ES module handler that allows at once, net of `node -e 0`: the ES module loader's own cost. */
  empty_handler: number;
  /** `lambda` net of the empty handler instead of `node -e 0`: what importing Gatehouse and its first decision add. */
  lambda_over_empty_handler: number;
  /** The probe with a handler, no Gatehouse code, doing Node's part of a first ES256 decision, net of `node -e 0`. */
  node_floor: number;
  /** `lambda` net of `node_floor`: Gatehouse's own import and first decision beyond Node's part. */
  lambda_over_node_floor: number;
  lambda_gzip_bytes: number;
}

const PROBE = `
const { handler } = await import(process.argv[2]);
const answer = await handler(JSON.parse(process.env.PROBE_EVENT));
if (answer?.policyDocument?.Statement?.[0]?.Effect !== "Allow") { console.error(JSON.stringify(answer)); process.exit(3); }
`;

// A policy module that answers through cedar-wasm's Node build (loaded, with its wasm, at cold start)
function cedarPoliciesModule(policiesDir: string): string {
  const text = readdirSync(policiesDir).filter((f) => f.endsWith(".cedar")).sort().map((f) => readFileSync(join(policiesDir, f), "utf8")).join("\n");
  const parts = cedar.policySetTextToParts(text);
  if (parts.type !== "success") throw new Error("example policies do not parse");
  const staticPolicies: Record<string, string> = {};
  parts.policies.forEach((policy, index) => (staticPolicies[/@id\("([^"]+)"\)/.exec(policy)?.[1] ?? `policy${index}`] = policy));
  const entities = readFileSync(join(policiesDir, "entities.json"), "utf8");
  return `import * as cedar from "@cedar-policy/cedar-wasm/nodejs";
const staticPolicies = ${JSON.stringify(staticPolicies)};
const entities = ${entities};
export default {
  version: "cedar-wasm", policies: [], onForbidError: "skip", candidates: () => [],
  evaluate(request, requestEntities = []) {
    const answer = cedar.isAuthorized({ ...request, context: request.context ?? {}, policies: { staticPolicies }, entities: [...entities, ...requestEntities] });
    if (answer.type !== "success") return { decision: "deny", reasons: [], errors: answer.errors.map((e) => ({ policy: "", message: e.message })) };
    const { decision, diagnostics } = answer.response;
    return { decision, reasons: diagnostics.reason, errors: diagnostics.errors.map((e) => ({ policy: e.policyId, message: e.error.message })) };
  },
};
`;
}

// What any ES256 JWT authorizer's first decision costs Node with no library: WebCrypto (which loads
// node:crypto and its streams), the key imported, the signature checked, a random id, one stdout line
function nodeFloorHandler(jwk: object): string {
  return `const jwk = ${JSON.stringify(jwk)};
const enc = new TextEncoder();
export const handler = async (event) => {
  const token = event.authorizationToken.slice(7);
  const dot = token.lastIndexOf(".");
  const key = await crypto.subtle.importKey("jwk", jwk, { name: "ECDSA", namedCurve: "P-256" }, false, ["verify"]);
  const ok = await crypto.subtle.verify({ name: "ECDSA", hash: "SHA-256" }, key, Buffer.from(token.slice(dot + 1), "base64url"), enc.encode(token.slice(0, dot)));
  console.log(JSON.stringify({ decision_id: crypto.randomUUID(), allow: ok }));
  return { policyDocument: { Statement: [{ Effect: ok ? "Allow" : "Deny" }] } };
};
`;
}

function timeProcess(args: string[], env: NodeJS.ProcessEnv): number {
  const start = performance.now();
  const run = spawnSync(process.execPath, args, { env, stdio: ["ignore", "ignore", "pipe"], encoding: "utf8" });
  const ms = performance.now() - start;
  if (run.status !== 0) throw new Error(`cold start probe failed (${run.status}): ${run.stderr.split("\n").slice(0, 3).join(" ")}`);
  return ms;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const round = (ms: number) => Math.round(ms * 10) / 10;

/** Builds both bundles, then runs bare, empty-handler, compiled and cedar-wasm processes interleaved; quick: 3 rounds, full: 21. */
export async function benchColdStart(opts: { quick: boolean }): Promise<ColdStartFigures> {
  const work = join(repoRoot, ".gatehouse", `bench-cold-start-${process.pid}`);
  mkdirSync(work, { recursive: true });
  try {
    const key = await createTestKey("ES256");
    const issuer = "https://dev.gatehouse.local";
    const configFile = join(work, "config.json");
    writeFileSync(configFile, JSON.stringify({
      token: { issuers: [{ issuer, audience: "gatehouse-demo", algorithms: ["ES256"], jwks: { keys: [key.publicJwk] } }] },
      revocation: { store: { kind: "memory" } },
    }));
    const policiesDir = join(repoRoot, "policies");
    writeFileSync(join(work, "cedar-policies.mjs"), cedarPoliciesModule(policiesDir));
    const compiled = await buildLambda({ configFile, policiesDir, outDir: join(work, "compiled") });
    const withCedar = await buildLambda({ configFile, policiesDir, outDir: join(work, "cedar"), policiesModule: join(work, "cedar-policies.mjs"), external: ["@cedar-policy/cedar-wasm"] });
    writeFileSync(join(work, "probe.mjs"), PROBE);
    const emptyHandler = join(work, "empty-handler.mjs");
    writeFileSync(emptyHandler, 'export const handler = async () => ({ policyDocument: { Statement: [{ Effect: "Allow" }] } });\n');
    const floorHandler = join(work, "node-floor.mjs");
    writeFileSync(floorHandler, nodeFloorHandler(key.publicJwk));

    const token = await mintToken(key, { tenant: "acme", groups: ["viewer"], scope: "orders:read", amr: ["pwd"] }, { issuer, audience: "gatehouse-demo", subject: "vera", ttlSeconds: 3600 });
    const event = { type: "TOKEN", authorizationToken: `Bearer ${token}`, methodArn: "arn:aws:execute-api:us-east-1:123456789012:abcdef123/test/GET/tenants/acme/orders/o-17" };
    const env = { PATH: process.env.PATH, PROBE_EVENT: JSON.stringify(event) };
    const probe = join(work, "probe.mjs");
    // cedar-wasm can abort V8 under Node 20 unless wasm calls are not inlined into JS
    const cedarFlags = ["--no-turbo-inline-js-wasm-calls"];

    const rounds = opts.quick ? 3 : 21;
    const bare: number[] = [];
    const lambda: number[] = [];
    const lambdaCedar: number[] = [];
    const empty: number[] = [];
    const floor: number[] = [];
    timeProcess([probe, compiled.bundleFile], env); // warm the file cache, once each
    timeProcess([...cedarFlags, probe, withCedar.bundleFile], env);
    for (let i = 0; i < rounds; i++) {
      bare.push(timeProcess(["-e", "0"], env));
      empty.push(timeProcess([probe, emptyHandler], env));
      floor.push(timeProcess([probe, floorHandler], env));
      lambda.push(timeProcess([probe, compiled.bundleFile], env));
      lambdaCedar.push(timeProcess([...cedarFlags, probe, withCedar.bundleFile], env));
    }
    const nodeBare = median(bare);
    return {
      lambda: round(median(lambda) - nodeBare),
      lambda_cedar_wasm: round(median(lambdaCedar) - nodeBare),
      node_bare: round(nodeBare),
      empty_handler: round(median(empty) - nodeBare),
      lambda_over_empty_handler: round(median(lambda) - median(empty)),
      node_floor: round(median(floor) - nodeBare),
      lambda_over_node_floor: round(median(lambda) - median(floor)),
      lambda_gzip_bytes: compiled.gzipBytes,
    };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
