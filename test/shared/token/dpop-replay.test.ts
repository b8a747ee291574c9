// DPoP `jti` replay across instances (RFC 9449 §11.1, issue #20): two authorizers share one real
// redis-server, each with its own connection, as two processes would. The replay check is one
// `SET NX EXAT`, so of many concurrent copies of one proof exactly one is accepted; the read then
// write that a store without `putIfAbsent` (KV) falls back to is measured beside it.
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRedisStore, type RedisStore } from "../../../functions/stores/index.ts";
import { claimOnce, type RevocationStore } from "../../../shared/revocation/index.ts";
import { DPOP_JTI_PREFIX } from "../../../shared/token/bind.ts";
import { startRedisServer, type RedisServer } from "../../harness/index.ts";
import { JWT_RESOURCE, createDpopKey, dpopProof, startOidcProvider, type DpopKey, type OidcProviderServer } from "../../harness/oidc-provider.ts";
import { API_ORIGIN, apiRequest, discoveredIssuer, oidcPipeline, type OidcPipeline } from "./_oidc.ts";

const PATH = "/tenants/acme/orders";

let op: OidcProviderServer;
let redis: RedisServer;
let key: DpopKey;
let bound: string;
const stores: RedisStore[] = [];
const clients: Redis[] = [];
beforeAll(async () => {
  op = await startOidcProvider();
  redis = await startRedisServer();
  key = await createDpopKey();
  bound = await op.token(JWT_RESOURCE, key);
});
afterAll(async () => {
  for (const store of stores) await store.close();
  for (const client of clients) client.disconnect();
  await redis?.stop();
  await op?.stop();
});

function redisStore(): RedisStore {
  const store = createRedisStore({ url: redis.url });
  stores.push(store);
  return store;
}

// The same Redis store without its conditional write: what the replay check does on KV
function readThenWrite(store: RevocationStore): RevocationStore {
  const { putIfAbsent: _, ...rest } = store;
  return rest;
}

// Two instances, each with its own connection to the one Redis, connected and with the key set and
// the revocation answer cached. A generous deadline: these tests are about what is accepted, and
// the machine running them may be loaded (a late answer would be a 503, not a replay)
async function twoInstances(atomic: boolean): Promise<[OidcPipeline, OidcPipeline]> {
  const open = () => (atomic ? redisStore() : readThenWrite(redisStore()));
  const config = { revocation: { store: { kind: "memory" as const }, deadlineMs: 5000 } };
  const instances: [OidcPipeline, OidcPipeline] = [await oidcPipeline([discoveredIssuer(op)], config, open()), await oidcPipeline([discoveredIssuer(op)], config, open())];
  for (const instance of instances) expect(await send(instance, await proof())).toMatchObject({ allow: true });
  return instances;
}

const proof = () => dpopProof(key, { method: "GET", url: `${API_ORIGIN}${PATH}`, accessToken: bound });
const send = (target: OidcPipeline, dpop: string) => target.authorize(apiRequest("GET", PATH, { authorization: `DPoP ${bound}`, dpop }));

// Sends `copies` of each of `rounds` proofs at once, alternating between the two instances; answers the allowed count per proof
async function race(instances: [OidcPipeline, OidcPipeline], rounds: number, copies: number): Promise<number[]> {
  const allowed: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const once = await proof();
    const decisions = await Promise.all(Array.from({ length: copies }, (_, i) => send(instances[i % 2], once)));
    for (const decision of decisions) if (!decision.allow) expect(decision).toMatchObject({ status: 401, reason: "dpop_replayed" });
    allowed.push(decisions.filter((decision) => decision.allow).length);
  }
  return allowed;
}

// Every command Redis runs while `run` does, in order, seen through MONITOR
async function monitored(run: () => Promise<unknown>): Promise<string[][]> {
  const watcher = new Redis(redis.url);
  const marker = new Redis(redis.url);
  clients.push(watcher, marker);
  const monitor = await watcher.monitor();
  const seen: string[][] = [];
  const end = `end-${crypto.randomUUID()}`;
  const done = new Promise<void>((resolve) => {
    monitor.on("monitor", (_time: string, args: string[]) => {
      if (args[0]?.toLowerCase() === "echo" && args[1] === end) resolve();
      else seen.push(args);
    });
  });
  await run();
  // MONITOR reports in execution order: once the marker is seen, every command before it has been
  await marker.echo(end);
  await done;
  monitor.disconnect();
  return seen;
}

describe("DPoP replay across two instances sharing Redis", () => {
  it("accepts exactly one of many concurrent copies of a proof (SET NX EXAT)", async () => {
    const allowed = await race(await twoInstances(true), 10, 20);
    expect(allowed).toEqual(Array(10).fill(1));
  });

  it("takes one round trip per DPoP request for the replay check, where read then write took two", async () => {
    const [first, second] = await twoInstances(true);
    const once = await proof();
    const atomic = await monitored(async () => {
      expect(await send(first, once)).toMatchObject({ allow: true });
      expect(await send(second, once)).toMatchObject({ allow: false, reason: "dpop_replayed" });
    });
    expect(atomic.map((args) => args[0].toLowerCase())).toEqual(["set", "set"]);
    expect(atomic[0]).toEqual(["set", expect.stringMatching(`^${DPOP_JTI_PREFIX}`), "1", "EXAT", expect.stringMatching(/^\d+$/), "NX"]);

    const [third, fourth] = await twoInstances(false);
    const again = await proof();
    const fallback = await monitored(async () => {
      expect(await send(third, again)).toMatchObject({ allow: true });
      expect(await send(fourth, again)).toMatchObject({ allow: false, reason: "dpop_replayed" });
    });
    // The accepted request reads and writes; the replay is caught by the read
    expect(fallback.map((args) => args[0].toLowerCase())).toEqual(["mget", "set", "mget"]);
  });

  it("measures how often read then write lets a concurrent copy through on the second instance", async () => {
    const rounds = 10;
    const atomic = await race(await twoInstances(true), rounds, 20);
    const fallback = await race(await twoInstances(false), rounds, 20);
    console.log(`dpop replay, ${rounds} proofs x 20 concurrent copies over two instances: accepted ${sum(atomic)} with SET NX, ${sum(fallback)} with MGET then SET`);
    expect(sum(atomic)).toBe(rounds);
    // Each instance's own map lets at most one copy per proof reach the store
    expect(fallback.every((count) => count >= 1 && count <= 2)).toBe(true);
  });

  it("measures the replay check's store time per proof: SET NX against MGET then SET, in interleaved rounds", async () => {
    const atomic = redisStore();
    const fallback = readThenWrite(redisStore());
    const exp = Math.floor(Date.now() / 1000) + 600;
    const perRound = 100;
    const samples: Record<"atomic" | "fallback", number[]> = { atomic: [], fallback: [] };
    for (let round = 0; round < 7; round++) {
      for (const [name, store] of [["atomic", atomic], ["fallback", fallback]] as const) {
        const started = performance.now();
        for (let i = 0; i < perRound; i++) expect(await claimOnce(store, `${DPOP_JTI_PREFIX}bench-${name}-${round}-${i}`, "1", exp, 2000, Date.now())).toBe("claimed");
        samples[name].push(((performance.now() - started) * 1000) / perRound);
      }
    }
    const median = (list: number[]) => list.sort((a, b) => a - b)[Math.floor(list.length / 2)];
    const [a, f] = [median(samples.atomic), median(samples.fallback)];
    console.log(`dpop replay check on loopback redis, median of 7 rounds x ${perRound}: ${a.toFixed(0)} µs SET NX, ${f.toFixed(0)} µs MGET then SET (${(f / a).toFixed(2)}x)`);
  });
});

function sum(counts: number[]): number {
  return counts.reduce((a, b) => a + b, 0);
}
