// One hot-path figure, measured alone in this process (issue #22): started by `hot-path.ts` once per
// figure and round, so no figure shares a JIT, a heap or a GC with another. Prints one JSON line:
// `{"value": N}`, CPU ns per call (or bytes per call for `pipeline_alloc`).
//   node --expose-gc --import tsx test/bench/hot-path-figure.ts FIGURE [--quick]
import { importJWK, jwtVerify, decodeJwt } from "jose";
import { createAuditLogger, stdoutSink, type DecisionFacts } from "../../shared/audit/index.ts";
import { frozenClock } from "../../shared/clock/index.ts";
import { createAuthorizer, type AuthorizeInput } from "../../shared/pipeline/index.ts";
import { createMemoryStore, createRevocationChecker } from "../../shared/revocation/index.ts";
import { createJwksRegistry, createTokenVerifier } from "../../shared/token/index.ts";
import { EXAMPLE_AUDIENCE, EXAMPLE_ISSUER, EXAMPLE_START_MS, examplePolicies, exampleRoutes, mintExampleViewerToken } from "../harness/gatehouse-pipeline.ts";
import { createTestKey } from "../harness/index.ts";
import { decisionPaths } from "../shared/audit/fixtures.ts";

/** The figures this runner knows, each measured in a process of its own. */
export const HOT_PATH_FIGURES = [
  "pipeline_reused_token",
  "pipeline_rotating_tokens",
  "jose_verify",
  "token_cache_hit",
  "token_cache_lookup",
  "revocation_cache_hit",
  "audit_line",
  "pipeline_alloc",
] as const;
export type HotPathFigure = (typeof HOT_PATH_FIGURES)[number];

let blackhole = 0;
let lines = 0;
const quick = process.argv.includes("--quick");
const clock = frozenClock(EXAMPLE_START_MS);

// The same RS256 token for jose and for the pipeline: jose's figure is the anchor
const key = await createTestKey("RS256", "bench-rs256");
const token = await mintExampleViewerToken(key);
const header = `Bearer ${token}`;

// Distinct tokens of the same user (each its own `jti`), all cached and not revoked, taking turns:
// the "last hit" memos of the credential stage and the token cache answer a token repeated from one
// request to the next, so one token over and over is their best case. 100 stays inside every
// bounded cache on the way (the token cache's 1,000 entries, the 256 well-formed tokens).
const ROTATING_TOKENS = 100;

// CPU time, not wall time: on a shared machine a process waits for a core, and wall time would count
// that wait as our cost. `process.cpuUsage` counts every thread of this process (jose's signature
// check runs on libuv's pool), in µs; batches are long enough for that resolution.
function cpuNow(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) * 1000;
}

/** CPU ns per call: the median of `rounds` timed batches after a warm-up batch. */
function timeSync(fn: () => void, iterations: number, rounds = 5): number {
  for (let i = 0; i < iterations; i++) fn();
  const samples: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const started = cpuNow();
    for (let i = 0; i < iterations; i++) fn();
    samples.push((cpuNow() - started) / iterations);
  }
  return samples.sort((a, b) => a - b)[Math.floor(samples.length / 2)];
}

async function timeAsync(fn: () => Promise<unknown>, iterations: number, rounds = 5): Promise<number> {
  for (let i = 0; i < iterations; i++) await fn();
  const samples: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const started = cpuNow();
    for (let i = 0; i < iterations; i++) await fn();
    samples.push((cpuNow() - started) / iterations);
  }
  return samples.sort((a, b) => a - b)[Math.floor(samples.length / 2)];
}

// The production pipeline as a warm Node function runs it: example policies and routes, RS256,
// memory revocation store, the stdout sink serialising every line (written to nowhere)
async function warmPipeline(tokens: readonly string[] = [token]) {
  const authorize = createAuthorizer(
    {
      token: { issuers: [{ issuer: EXAMPLE_ISSUER, audience: EXAMPLE_AUDIENCE, algorithms: ["RS256"], jwks: { keys: [key.publicJwk] } }] },
      routes: exampleRoutes(),
      revocation: { store: { kind: "memory" }, ttlMs: 300_000 },
    },
    { policies: await examplePolicies(), revocationStore: createMemoryStore(), auditSink: stdoutSink({ writeLine: (line) => void ((blackhole += line.length), lines++) }), clock },
  );
  const inputs = tokens.map(
    (t): AuthorizeInput => ({
      platform: "node",
      method: "GET",
      path: "/tenants/acme/orders/o-17",
      headers: new Headers({ authorization: `Bearer ${t}`, traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01" }),
      clientIp: "203.0.113.7",
    }),
  );
  for (const input of inputs) {
    const first = await authorize(input);
    if (!first.allow) throw new Error(`bench request denied: ${first.reason}`);
  }
  return { authorize, input: inputs[0], inputs };
}

// A cached request is decided before authorize returns (test/shared/pipeline/fast-path.test.ts), so
// the loop need not await; one audit line per call proves every call was decided in its own turn
function timePipeline(call: () => void, iterations: number): number {
  const before = lines;
  const ns = timeSync(call, iterations);
  if (lines - before !== iterations * 6) throw new Error(`the pipeline wrote ${lines - before} audit lines for ${iterations * 6} calls`);
  return ns;
}

function mintRotatingTokens(): Promise<string[]> {
  return Promise.all(Array.from({ length: ROTATING_TOKENS }, () => mintExampleViewerToken(key)));
}

async function measure(figure: HotPathFigure): Promise<number> {
  const n = quick ? 5_000 : 50_000;
  switch (figure) {
    case "pipeline_reused_token": {
      const { authorize, input } = await warmPipeline();
      return timePipeline(() => void authorize(input), n);
    }
    case "pipeline_rotating_tokens": {
      const { authorize, inputs } = await warmPipeline(await mintRotatingTokens());
      let turn = 0;
      return timePipeline(() => {
        void authorize(inputs[turn]);
        turn = turn + 1 === inputs.length ? 0 : turn + 1;
      }, n);
    }
    case "jose_verify": {
      const publicKey = await importJWK(key.publicJwk, "RS256");
      const options = { issuer: EXAMPLE_ISSUER, audience: EXAMPLE_AUDIENCE, algorithms: ["RS256"], currentDate: new Date(EXAMPLE_START_MS) };
      return timeAsync(() => jwtVerify(token, publicKey, options), quick ? 300 : 2_000);
    }
    case "token_cache_hit": {
      const verifier = benchVerifier();
      await verifier.verify(token);
      // A new string per call, as each request brings its own header: the map must hash it afresh.
      // One token repeated: the cache's "last hit" slot answers after one string comparison
      return timeSync(() => void (blackhole += verifier.verifyCached(header.slice(7))!.issuer.length), n * 4);
    }
    case "token_cache_lookup": {
      // The ordinary lookup: cached tokens taking turns, so the "last hit" slot never matches and
      // each call cuts the tail, finds its slot in the map and compares the whole token
      const verifier = benchVerifier();
      const headers = (await mintRotatingTokens()).map((t) => `Bearer ${t}`);
      for (const h of headers) await verifier.verify(h.slice(7));
      let turn = 0;
      return timeSync(() => {
        blackhole += verifier.verifyCached(headers[turn].slice(7))!.issuer.length;
        turn = turn + 1 === headers.length ? 0 : turn + 1;
      }, n * 4);
    }
    case "revocation_cache_hit": {
      const checker = createRevocationChecker({ store: { kind: "memory" }, ttlMs: 300_000 }, { clock, store: createMemoryStore() });
      const claims = Object.freeze(decodeJwt(token));
      await checker.check(claims);
      // ageMs depends on the clock, so the answer is used and the sink ends above 0
      return timeSync(() => void (blackhole += (checker.checkCached(claims)!.ageMs ?? 0) + 1), n * 20);
    }
    case "audit_line": {
      // As the pipeline hands them over: frozen verified claims, a frozen principal uid, its decision id
      const claims = Object.freeze(decodeJwt(token) as Record<string, unknown>);
      const base = decisionPaths(claims).allow_by_policy;
      const facts: DecisionFacts = { ...base, decisionId: crypto.randomUUID(), principal: Object.freeze({ type: "User", id: "vera" }) };
      const logger = createAuditLogger({}, { platform: "node", sink: stdoutSink({ writeLine: (line) => void (blackhole += line.length) }), clock });
      return timeSync(() => void logger.log(facts), n);
    }
    case "pipeline_alloc":
      return allocatedPerCall(await warmPipeline(), quick ? 500 : 2_000);
  }
}

function benchVerifier() {
  return createTokenVerifier({ issuers: [{ issuer: EXAMPLE_ISSUER, audience: EXAMPLE_AUDIENCE, algorithms: ["RS256"], jwks: { keys: [key.publicJwk] } }] }, { clock, jwksRegistry: createJwksRegistry() });
}

// Bytes allocated per call: heap growth over `calls` calls with no collection in between (the
// runner gives this process a young generation large enough; a collection voids the sample)
async function allocatedPerCall({ authorize, input }: Awaited<ReturnType<typeof warmPipeline>>, calls: number): Promise<number> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error("run with --expose-gc");
  for (let i = 0; i < calls; i++) void authorize(input);
  const samples: number[] = [];
  for (let attempt = 0; attempt < 7 && samples.length < 3; attempt++) {
    gc();
    const { getHeapStatistics } = await import("node:v8");
    const before = getHeapStatistics();
    for (let i = 0; i < calls; i++) void authorize(input);
    const after = getHeapStatistics();
    // a collection in between shows as less used heap than was allocated: skip that sample
    if (after.used_heap_size > before.used_heap_size) samples.push((after.used_heap_size - before.used_heap_size) / calls);
  }
  if (samples.length === 0) throw new Error("every allocation sample was cut by a collection");
  return samples.sort((a, b) => a - b)[0];
}

const figure = process.argv[2] as HotPathFigure;
if (!HOT_PATH_FIGURES.includes(figure)) throw new Error(`unknown figure \`${figure}\`; expected one of ${HOT_PATH_FIGURES.join(", ")}`);
const value = await measure(figure);
process.stdout.write(`${JSON.stringify({ value: Math.round(value * 10) / 10, sink: blackhole > 0 ? 1 : 0 })}\n`);
