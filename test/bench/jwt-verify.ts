// Token verification throughput per algorithm with the real verifier (jose + WebCrypto in Node):
// uncached = verified-token cache off, so every call checks the signature; cached = the same token
// again, answered from the cache (SHA-256 of the token + LRU lookup). One call at a time, as one
// isolate serves one request after another; each figure is the best of several short rounds.
import { frozenClock } from "../../shared/clock/index.ts";
import { createJwksRegistry, createTokenVerifier, type TokenVerifier } from "../../shared/token/index.ts";
import { createTestKey, mintHmacToken, mintToken, type TestAlgorithm } from "../harness/index.ts";

const ISSUER = "https://idp.bench.test/";
const AUDIENCE = "https://api.bench.test";
const SECRET = "bench-secret-0123456789abcdefghij";

// The best of several short rounds: other processes on a shared machine only ever slow a round down.
async function opsPerSecond(verifier: TokenVerifier, token: string, rounds: number, roundMs: number): Promise<number> {
  const first = await verifier.verify(token);
  if (!first.ok) throw new Error(`bench token refused: ${first.reason}`);
  const warmEnd = performance.now() + Math.min(200, roundMs * 2);
  while (performance.now() < warmEnd) await verifier.verify(token);
  let best = 0;
  for (let round = 0; round < rounds; round++) {
    let count = 0;
    const started = performance.now();
    const end = started + roundMs;
    while (performance.now() < end) {
      // Batches of 16 keep the clock reads out of the measurement.
      for (let i = 0; i < 16; i++) await verifier.verify(token);
      count += 16;
    }
    best = Math.max(best, (count * 1000) / (performance.now() - started));
  }
  return Math.round(best);
}

/** Verification ops/s for RS256, PS256, ES256, ES384, EdDSA and HS256, uncached and on a cache hit. */
export async function benchJwtVerify(opts: { quick: boolean }): Promise<Array<{ alg: string; uncached_ops_s: number; cached_ops_s: number }>> {
  const rounds = opts.quick ? 2 : 5;
  const roundMs = opts.quick ? 60 : 500;
  const nowS = Math.floor(Date.now() / 1000);
  const clock = frozenClock(nowS * 1000);
  const rows: Array<{ alg: string; uncached_ops_s: number; cached_ops_s: number }> = [];
  for (const alg of ["RS256", "PS256", "ES256", "ES384", "EdDSA", "HS256"] as const) {
    let issuer;
    let token: string;
    if (alg === "HS256") {
      issuer = { issuer: ISSUER, audience: AUDIENCE, algorithms: [alg], secret: SECRET };
      token = await mintHmacToken(SECRET, { iss: ISSUER, aud: AUDIENCE, sub: "bench", scope: "read write" }, { now: nowS, ttlSeconds: 3600 });
    } else {
      const key = await createTestKey(alg as TestAlgorithm, `bench-${alg}`);
      issuer = { issuer: ISSUER, audience: AUDIENCE, algorithms: [alg], jwks: { keys: [key.publicJwk] } };
      token = await mintToken(key, { scope: "read write", groups: ["admin"] }, { issuer: ISSUER, audience: AUDIENCE, subject: "bench", now: nowS, ttlSeconds: 3600 });
    }
    const uncached = createTokenVerifier({ issuers: [issuer], cache: null }, { clock, jwksRegistry: createJwksRegistry() });
    const cached = createTokenVerifier({ issuers: [issuer], cache: { maxEntries: 1000, ttlSeconds: 3600 } }, { clock, jwksRegistry: createJwksRegistry() });
    rows.push({ alg, uncached_ops_s: await opsPerSecond(uncached, token, rounds, roundMs), cached_ops_s: await opsPerSecond(cached, token, rounds, roundMs) });
  }
  return rows;
}


/**
 * A cold Worker isolate's first request in Miniflare (real workerd), in ms as seen by the client, with
 * the JWKS endpoint answering after `idpDelayMs` (a distant IdP): keys fetched, keys restored from
 * KV, keys preloaded at build time. Median of `runs` fresh isolates each. Run alone with `--cold`.
 */
export async function benchColdIsolateJwks(opts: { quick: boolean; idpDelayMs?: number }): Promise<Array<{ keys: string; first_request_ms: number; second_request_ms: number; jwks_fetches: number }>> {
  const { startJwksServer, startWorker } = await import("../harness/index.ts");
  const { workerScript } = await import("../shared/token/workerd/bundle.ts");
  const runs = opts.quick ? 3 : 7;
  const key = await createTestKey("ES256", "cold");
  const server = await startJwksServer([key.publicJwk]);
  server.setDelay(opts.idpDelayMs ?? 50);
  const script = await workerScript();
  const base = { issuer: ISSUER, audience: AUDIENCE, algorithms: ["ES256"], jwksUri: server.url };
  const variants = [
    { keys: "fetched", issuer: base, seedKv: false },
    { keys: "kv_persisted", issuer: base, seedKv: true },
    { keys: "preloaded", issuer: { ...base, jwksPreload: { keys: [key.publicJwk] } }, seedKv: false },
  ];
  const rows = [];
  try {
    for (const variant of variants) {
      const first: number[] = [];
      const second: number[] = [];
      const before = server.requests.length;
      for (let run = 0; run < runs; run++) {
        const worker = await startWorker({ script, bindings: { TOKEN_CONFIG: JSON.stringify({ issuers: [variant.issuer] }) }, kvNamespaces: ["JWKS_KV"] });
        try {
          if (variant.seedKv) {
            await (await worker.kv("JWKS_KV")).put(`gatehouse:jwks:${server.url}`, JSON.stringify({ jwks: { keys: [key.publicJwk] }, fetchedAtMs: Date.now() }));
          }
          const nowS = Math.floor(Date.now() / 1000);
          const tokens = await Promise.all([1, 2].map((n) => mintToken(key, { n }, { issuer: ISSUER, audience: AUDIENCE, subject: "cold", now: nowS })));
          for (const [index, token] of tokens.entries()) {
            const started = performance.now();
            const response = await worker.fetch("/", { headers: { authorization: `Bearer ${token}` } });
            await response.arrayBuffer();
            if (response.status !== 200) throw new Error(`cold bench request refused: ${response.status}`);
            (index === 0 ? first : second).push(performance.now() - started);
          }
        } finally {
          await worker.stop();
        }
      }
      const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
      rows.push({ keys: variant.keys, first_request_ms: Math.round(median(first) * 10) / 10, second_request_ms: Math.round(median(second) * 10) / 10, jwks_fetches: server.requests.length - before });
    }
  } finally {
    await server.stop();
  }
  return rows;
}

// `node --import tsx test/bench/jwt-verify.ts [--quick] [--cold]` runs this benchmark alone.
if (import.meta.url === `file://${process.argv[1]}`) {
  const quick = process.argv.includes("--quick");
  if (process.argv.includes("--cold")) console.table(await benchColdIsolateJwks({ quick }));
  else console.table(await benchJwtVerify({ quick }));
}
