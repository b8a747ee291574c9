// Per-request cost of the token kinds of issue #20, next to a bearer JWT, all in one process and in
// interleaved rounds (so machine load hits every case alike): an ES256 JWT verified (signature) and
// answered from the verified-token cache, an opaque token answered from the introspection cache
// (keyed hash + lookup), a DPoP proof checked for a bound token (signature, claims, thumbprint,
// isolate replay map; each call a fresh proof), and the binding stage's pass for an unbound token.
// Run alone: `node --no-turbo-inline-js-wasm-calls --import tsx test/bench/sender-constrained.ts --quick`.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { parseArgs } from "node:util";
import { frozenClock } from "../../shared/clock/index.ts";
import { newState } from "../../shared/pipeline/state.ts";
import { bindingStage } from "../../shared/pipeline/stages/binding.ts";
import { createSenderCheck } from "../../shared/token/bind.ts";
import { createJwksRegistry, createTokenVerifier, validateTokenConfig } from "../../shared/token/index.ts";
import { createDpopKey, dpopProof } from "../harness/oidc-provider.ts";
import { createTestKey, mintToken } from "../harness/index.ts";

const ISSUER = "https://idp.bench.test";
const AUDIENCE = "https://api.bench.test";
const URL_ = `${AUDIENCE}/tenants/acme/orders`;

export interface SenderBenchRow {
  readonly case: string;
  /** Median over rounds of µs per request. */
  readonly us_per_request: number;
  /** This case's cost over the bearer JWT's signature check, in the same rounds. */
  readonly vs_bearer_verify: number;
  /** This case's cost over the bearer JWT's cache hit, in the same rounds. */
  readonly vs_bearer_cached: number;
}

/** Median µs per call of each case, measured in interleaved rounds. */
export async function benchSenderConstrained(opts: { quick: boolean }): Promise<SenderBenchRow[]> {
  const rounds = opts.quick ? 5 : 15;
  const perRound = opts.quick ? 200 : 1000;
  const nowS = Math.floor(Date.now() / 1000);
  const clock = frozenClock(nowS * 1000);
  const key = await createTestKey("ES256", "bench-es256");
  const dpopKey = await createDpopKey();
  const { calculateJwkThumbprint } = await import("jose");
  const jkt = await calculateJwkThumbprint(dpopKey.publicJwk, "sha256");

  // A real introspection endpoint on loopback, answering every token as active
  const server = createServer((_req, res) => {
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ active: true, iss: ISSUER, aud: AUDIENCE, sub: "bench", scope: "read", exp: nowS + 3600 }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/introspect`;

  try {
    const issuer = {
      issuer: ISSUER, audience: AUDIENCE, algorithms: ["ES256" as const], jwks: { keys: [key.publicJwk] },
      introspection: { endpoint, clientId: "gatehouse", clientAuth: "client_secret_basic" as const, clientSecret: "bench-secret", cacheTtlMs: 3_600_000 },
    };
    const config = validateTokenConfig({ issuers: [issuer] });
    const uncached = createTokenVerifier({ issuers: [issuer], cache: null }, { clock, jwksRegistry: createJwksRegistry() });
    const cached = createTokenVerifier({ issuers: [issuer] }, { clock, jwksRegistry: createJwksRegistry() });
    const jwt = await mintToken(key, { scope: "read" }, { issuer: ISSUER, audience: AUDIENCE, subject: "bench", now: nowS, ttlSeconds: 3600 });
    const bound = await mintToken(key, { scope: "read", cnf: { jkt } }, { issuer: ISSUER, audience: AUDIENCE, subject: "bench", now: nowS, ttlSeconds: 3600 });
    const opaque = "bench-opaque-" + "x".repeat(30);
    for (const token of [jwt, bound]) if (!(await cached.verify(token)).ok) throw new Error("bench token refused");
    if (!(await cached.verify(opaque)).ok) throw new Error("bench opaque token refused");
    const boundClaims = (await cached.verify(bound)) as { claims: Record<string, unknown> };
    // The cache cases must measure hits: a miss answers `undefined` as fast and would go unnoticed
    for (const token of [jwt, opaque]) if (cached.verifyCached(token)?.cache.hit !== true) throw new Error("bench token not answered from the cache");

    const check = createSenderCheck(config, { clock, store: null });
    const proofs: string[] = [];
    for (let i = 0; i < perRound * rounds + 50; i++) proofs.push(await dpopProof(dpopKey, { method: "GET", url: URL_, accessToken: bound, iat: nowS }));
    let proofIndex = 0;
    const stage = bindingStage(check);
    const unboundState = newState({ platform: "node", method: "GET", path: "/tenants/acme/orders", headers: new Headers({ authorization: `Bearer ${jwt}` }), url: URL_ }, "bench", 0);
    unboundState.credential = jwt;
    unboundState.claims = (cached.verifyCached(jwt) as { claims: Record<string, unknown> }).claims;
    unboundState.token = cached.verifyCached(jwt)!;

    const cases: Array<[string, () => unknown]> = [
      ["bearer JWT ES256, signature verified", () => uncached.verify(jwt)],
      ["bearer JWT ES256, verified-token cache hit", () => cached.verifyCached(jwt)],
      ["opaque token, introspection cache hit", () => cached.verifyCached(opaque)],
      ["DPoP proof checked (ES256, fresh proof each)", () => check({ scheme: "dpop", token: bound, claims: boundClaims.claims, issuer: ISSUER, method: "GET", url: URL_, proof: proofs[proofIndex++], certificate: undefined, routeConstraint: null })],
      ["binding stage, unbound bearer token", () => stage(unboundState)],
    ];
    const samples = cases.map(() => [] as number[]);
    for (let round = 0; round < rounds; round++) {
      for (let c = 0; c < cases.length; c++) {
        const run = cases[c][1];
        const started = performance.now();
        for (let i = 0; i < perRound; i++) {
          const result = run();
          if (result instanceof Promise) {
            const outcome = (await result) as { ok?: boolean } | undefined;
            if (outcome !== undefined && outcome.ok === false) throw new Error(`bench case refused: ${cases[c][0]}`);
          }
        }
        samples[c].push(((performance.now() - started) * 1000) / perRound);
      }
    }
    const medians = samples.map((list) => list.sort((a, b) => a - b)[Math.floor(list.length / 2)]);
    return cases.map(([name], c) => ({
      case: name,
      us_per_request: Math.round(medians[c] * 1000) / 1000,
      vs_bearer_verify: Number((medians[c] / medians[0]).toPrecision(3)),
      vs_bearer_cached: Number((medians[c] / medians[1]).toPrecision(3)),
    }));
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ args: process.argv.slice(2), options: { quick: { type: "boolean", default: false } } });
  const rows = await benchSenderConstrained({ quick: values.quick ?? false });
  console.table(rows);
}
