// A Worker that runs shared/revocation inside workerd: the checker over the KV binding, and over
// Upstash (the official client's fetch, from inside workerd). Bundled with esbuild by kv.test.ts.
import { createKvStore, createRevocationChecker, createUpstashStore, revoke, type KvNamespaceLike, type RevocationChecker, type RevocationTarget } from "../../../../shared/revocation/index.ts";

interface Env {
  REVOCATIONS: KvNamespaceLike;
}

let kvChecker: RevocationChecker | undefined;
let upstashChecker: RevocationChecker | undefined;

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);
    const body = (await request.json()) as Record<string, any>;
    switch (url.pathname) {
      case "/check": {
        kvChecker ??= createRevocationChecker({ store: { kind: "kv" }, ttlMs: 1000, deadlineMs: 500 }, { store: createKvStore(env.REVOCATIONS) });
        return Response.json(await kvChecker.check(body.claims, body.failMode));
      }
      case "/revoke":
        return Response.json(await revoke(createKvStore(env.REVOCATIONS), body.target as RevocationTarget));
      case "/upstash-check": {
        upstashChecker ??= createRevocationChecker(
          { store: { kind: "upstash" }, ttlMs: 0, deadlineMs: 2000 },
          { store: createUpstashStore({ url: body.url, token: body.token }) },
        );
        return Response.json(await upstashChecker.check(body.claims));
      }
      case "/bench": {
        // Times lookups inside the isolate, so the Node↔workerd hop is not counted
        const store = createKvStore(env.REVOCATIONS);
        const samples: number[] = [];
        for (let i = 0; i < body.iterations; i++) {
          const started = performance.now();
          await store.getMany(body.keys, new AbortController().signal, Date.now());
          samples.push(performance.now() - started);
        }
        return Response.json(samples);
      }
      default:
        return new Response("not found", { status: 404 });
    }
  },
};
