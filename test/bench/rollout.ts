// Canary cost (issue #18), in one process over interleaved rounds: one decision of the example viewer
// request (token, revocation answer and principal cached; audit line serialised) with no candidate,
// with a shadow candidate, and with a canary rollout (slice lookup, rollback window). Run on its own:
// `node --import tsx test/bench/rollout.ts` (not part of `npm run bench`). Figures are ratios
// against the no-candidate pipeline of the same round, since absolute times are noisy on a shared machine.
import { frozenClock } from "../../shared/clock/index.ts";
import type { GatehouseConfig } from "../../shared/config/index.ts";
import { createAuthorizer, isPromise, type AuthorizeInput } from "../../shared/pipeline/index.ts";
import type { RolloutConfig } from "../../shared/rollout/index.ts";
import { EXAMPLE_AUDIENCE, EXAMPLE_ISSUER, EXAMPLE_START_MS, examplePolicies, exampleRoutes, mintExampleViewerToken } from "../harness/gatehouse-pipeline.ts";
import { candidatePolicies } from "../harness/shadow-candidate.ts";
import { createTestKey } from "../harness/tokens.ts";

const key = await createTestKey("ES256");
const stable = await examplePolicies();
const candidate = await candidatePolicies();
const token = await mintExampleViewerToken(key);
const discard = { write() {}, writeLine() {}, flush: async () => {} };

function decider(shadow: boolean, rollout?: RolloutConfig) {
  const config: GatehouseConfig = {
    token: { issuers: [{ issuer: EXAMPLE_ISSUER, audience: EXAMPLE_AUDIENCE, algorithms: ["ES256"], jwks: { keys: [key.publicJwk] } }] },
    routes: exampleRoutes(),
    revocation: { store: { kind: "memory" }, ttlMs: 300_000 },
    ...(rollout ? { rollout } : {}),
  };
  return createAuthorizer(config, { policies: stable, shadowPolicies: shadow ? candidate : null, auditSink: discard, clock: frozenClock(EXAMPLE_START_MS + 1000) });
}

const input: AuthorizeInput = { platform: "node", method: "GET", path: "/tenants/acme/orders", headers: new Headers({ authorization: `Bearer ${token}` }) };
const variants = {
  plain: decider(false),
  shadow: decider(true),
  canary_out_of_slice: decider(true, { canary: { share: 0.000001 }, rollback: { minRequests: 1_000_000 } }),
  canary_in_slice: decider(true, { canary: { share: 1 }, rollback: { minRequests: 1_000_000 } }),
};
// Warm the caches (JWKS, verified token, revocation answer, principal facts)
for (const authorize of Object.values(variants)) for (let i = 0; i < 2000; i++) await authorize(input);

const N = 20_000;
function time(name: keyof typeof variants): number {
  const decide = variants[name].decide;
  const start = process.hrtime.bigint();
  for (let i = 0; i < N; i++) {
    const decision = decide(input);
    if (isPromise(decision) || decision.status !== 200) throw new Error(`${name}: expected a synchronous allow`);
  }
  return Number(process.hrtime.bigint() - start) / N;
}

const rounds = 7;
const ratios: Record<string, number[]> = { shadow: [], canary_out_of_slice: [], canary_in_slice: [] };
const plain: number[] = [];
for (let round = 0; round < rounds; round++) {
  const base = time("plain");
  plain.push(base);
  for (const name of Object.keys(ratios) as (keyof typeof variants)[]) ratios[name].push(time(name) / base);
}
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
console.log(`plain decision: median ${median(plain).toFixed(0)} ns (range ${Math.min(...plain).toFixed(0)}–${Math.max(...plain).toFixed(0)})`);
for (const [name, values] of Object.entries(ratios)) console.log(`${name}: ${median(values).toFixed(2)}× plain (range ${Math.min(...values).toFixed(2)}–${Math.max(...values).toFixed(2)})`);
