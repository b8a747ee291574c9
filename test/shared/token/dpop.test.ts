// DPoP (RFC 9449, issue #20): tokens the local provider bound to a client key, verified with the
// client's proofs through the pipeline; every way a proof can be wrong is denied with its own reason.
import { SignJWT, base64url, exportJWK } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createMemoryStore } from "../../../shared/revocation/index.ts";
import type { RouteSpec, RoutesFile } from "../../../shared/routes/index.ts";
import { exampleRoutes } from "../../harness/gatehouse-pipeline.ts";
import { auditLineErrors } from "../../harness/index.ts";
import { INTROSPECTOR_CLIENT, JWT_RESOURCE, OPAQUE_RESOURCE, createDpopKey, dpopProof, startOidcProvider, type DpopKey, type OidcProviderServer, type ProofOptions } from "../../harness/oidc-provider.ts";
import { API_ORIGIN, apiRequest, discoveredIssuer, oidcPipeline, type OidcPipeline } from "./_oidc.ts";

const PATH = "/tenants/acme/orders";
const URL_ = `${API_ORIGIN}${PATH}`;
const now = () => Math.floor(Date.now() / 1000);

let op: OidcProviderServer;
let key: DpopKey;
let bound: string;
let pipeline: OidcPipeline;
beforeAll(async () => {
  op = await startOidcProvider();
  key = await createDpopKey();
  bound = await op.token(JWT_RESOURCE, key);
  pipeline = await oidcPipeline([discoveredIssuer(op)]);
});
afterAll(() => op.stop());

const proof = (options: Partial<ProofOptions> = {}, signer: DpopKey = key) => dpopProof(signer, { method: "GET", url: URL_, accessToken: bound, ...options });
const send = (headers: Record<string, string>, method = "GET", target = pipeline) => target.authorize(apiRequest(method, PATH, headers));
const withProof = async (options: Partial<ProofOptions> = {}, signer?: DpopKey) => send({ authorization: `DPoP ${bound}`, dpop: await proof(options, signer) });

describe("DPoP: a bound token with its proof", () => {
  it("allows the provider's DPoP-bound token with a valid proof", async () => {
    expect(await withProof()).toMatchObject({ allow: true, reason: "allowed" });
  });

  it("ignores the proof's query and fragment and normalises scheme and host case (RFC 9449 §4.3)", async () => {
    expect(await withProof({ url: `HTTPS://API.gatehouse.test:443${PATH}?page=2#top` })).toMatchObject({ allow: true });
  });

  it("allows an opaque DPoP-bound token, its cnf.jkt read from the introspection answer", async () => {
    const opaque = await op.token(OPAQUE_RESOURCE, key);
    const issuer = { ...discoveredIssuer(op), audience: OPAQUE_RESOURCE, introspection: { endpoint: op.introspectionEndpoint, clientId: INTROSPECTOR_CLIENT.id, clientAuth: "client_secret_basic" as const, clientSecret: INTROSPECTOR_CLIENT.secret, deadlineMs: 5000 } };
    const viaIntrospection = await oidcPipeline([issuer]);
    const ok = await send({ authorization: `DPoP ${opaque}`, dpop: await proof({ accessToken: opaque }) }, "GET", viaIntrospection);
    expect(ok).toMatchObject({ allow: true });
    const asBearer = await send({ authorization: `Bearer ${opaque}` }, "GET", viaIntrospection);
    expect(asBearer).toMatchObject({ allow: false, reason: "dpop_bound_as_bearer" });
  });
});

describe("DPoP: each refusal with its reason", () => {
  async function expectRefused(decisionPromise: Promise<{ allow: boolean; status: number; reason: string; wwwAuthenticate?: string }>, reason: string, error = "invalid_dpop_proof") {
    const decision = await decisionPromise;
    expect(decision).toMatchObject({ allow: false, status: 401, reason });
    expect(decision.wwwAuthenticate).toMatch(new RegExp(`^DPoP algs="[^"]+", error="${error}"`));
    expect(pipeline.audit.records.at(-1)).toMatchObject({ decision_reason: reason, auth_error: reason, detail: { stage: "binding" } });
    expect(auditLineErrors(pipeline.audit.records.at(-1)!)).toEqual([]);
  }

  it("a proof for another method", () => expectRefused(withProof({ method: "POST" }), "dpop_htm_mismatch"));
  it("a proof for another URL", () => expectRefused(withProof({ url: `${API_ORIGIN}/tenants/acme/orders/o-1` }), "dpop_htu_mismatch"));
  it("a proof for another host", () => expectRefused(withProof({ url: `https://evil.example${PATH}` }), "dpop_htu_mismatch"));
  it("a stale iat", () => expectRefused(withProof({ iat: now() - 300 }), "dpop_iat_out_of_window"));
  it("a future iat", () => expectRefused(withProof({ iat: now() + 300 }), "dpop_iat_out_of_window"));
  it("a wrong ath", () => expectRefused(withProof({ ath: base64url.encode(new Uint8Array(32)) }), "dpop_ath_mismatch"));
  it("no ath", async () => {
    const noAth = await new SignJWT({ htm: "GET", htu: URL_, jti: crypto.randomUUID(), iat: now() }).setProtectedHeader({ alg: "ES256", typ: "dpop+jwt", jwk: key.publicJwk }).sign(key.privateKey);
    await expectRefused(send({ authorization: `DPoP ${bound}`, dpop: noAth }), "dpop_ath_mismatch");
  });
  it("a proof signed by another key than cnf.jkt", async () => expectRefused(withProof({}, await createDpopKey()), "dpop_key_mismatch"));
  it("a proof carrying another key's jwk than it is signed with", async () => {
    const other = await createDpopKey();
    await expectRefused(withProof({ jwk: other.publicJwk }), "dpop_bad_signature");
  });
  it("alg none", async () => {
    const header = base64url.encode(JSON.stringify({ alg: "none", typ: "dpop+jwt", jwk: key.publicJwk }));
    const payload = base64url.encode(JSON.stringify({ htm: "GET", htu: URL_, jti: crypto.randomUUID(), iat: now() }));
    await expectRefused(send({ authorization: `DPoP ${bound}`, dpop: `${header}.${payload}.` }), "dpop_alg_not_allowed");
  });
  it("an HMAC proof", async () => {
    const hmac = await new SignJWT({ htm: "GET", htu: URL_, jti: crypto.randomUUID(), iat: now() })
      .setProtectedHeader({ alg: "HS256", typ: "dpop+jwt", jwk: key.publicJwk })
      .sign(new TextEncoder().encode("a-shared-secret-of-thirty-two-by"));
    await expectRefused(send({ authorization: `DPoP ${bound}`, dpop: hmac }), "dpop_alg_not_allowed");
  });
  it("a private key in the proof's jwk", async () => {
    const privateJwk = await exportJWK(key.privateKey);
    await expectRefused(withProof({ jwk: privateJwk }), "dpop_bad_jwk");
  });
  it("a proof whose typ is not dpop+jwt", () => expectRefused(withProof({ typ: "JWT" }), "dpop_wrong_typ"));
  it("a tampered proof", async () => {
    const [h, , s] = (await proof()).split(".");
    const forged = base64url.encode(JSON.stringify({ htm: "GET", htu: URL_, jti: "x", iat: now(), ath: "y" }));
    await expectRefused(send({ authorization: `DPoP ${bound}`, dpop: `${h}.${forged}.${s}` }), "dpop_bad_signature");
  });
  it("no proof", () => expectRefused(send({ authorization: `DPoP ${bound}` }), "dpop_proof_missing"));
  it("two proofs", async () => expectRefused(send({ authorization: `DPoP ${bound}`, dpop: `${await proof()}, ${await proof()}` }), "dpop_proof_malformed"));

  it("a replayed jti, in this instance and in another sharing the store, with or without the store's putIfAbsent", async () => {
    const { putIfAbsent: _, ...readThenWrite } = createMemoryStore();
    for (const store of [createMemoryStore(), readThenWrite]) {
      const first = await oidcPipeline([discoveredIssuer(op)], {}, store);
      const second = await oidcPipeline([discoveredIssuer(op)], {}, store);
      const once = await proof();
      expect(await send({ authorization: `DPoP ${bound}`, dpop: once }, "GET", first)).toMatchObject({ allow: true });
      expect(await send({ authorization: `DPoP ${bound}`, dpop: once }, "GET", first)).toMatchObject({ allow: false, reason: "dpop_replayed" });
      expect(await send({ authorization: `DPoP ${bound}`, dpop: once }, "GET", second)).toMatchObject({ allow: false, reason: "dpop_replayed" });
    }
  });

  it("a replay store that fails, or gives no answer and ignores the abort signal (as KV does), is 503 dpop_replay_unavailable within the deadline", async () => {
    const real = createMemoryStore();
    const never = () => new Promise<never>(() => {});
    // Without `putIfAbsent` (as KV): the read, then the write
    const { putIfAbsent: _, ...readThenWrite } = real;
    const stores = {
      "conditional write throws": { ...real, putIfAbsent: () => Promise.reject(new Error("store down")) },
      "conditional write hangs": { ...real, putIfAbsent: never },
      "read throws": { ...readThenWrite, getMany: () => Promise.reject(new Error("store down")) },
      "read hangs": { ...readThenWrite, getMany: never },
      "write hangs": { ...readThenWrite, put: never },
    };
    for (const [what, store] of Object.entries(stores)) {
      const target = await oidcPipeline([discoveredIssuer(op)], { revocation: { store: { kind: "memory" }, deadlineMs: 100 } }, store);
      const started = performance.now();
      const decision = await send({ authorization: `DPoP ${bound}`, dpop: await proof() }, "GET", target);
      // Far below the test timeout: without the race the request would wait forever
      expect(performance.now() - started, what).toBeLessThan(5000);
      expect(decision, what).toMatchObject({ allow: false, status: 503, reason: "dpop_replay_unavailable" });
      expect(target.audit.records.at(-1), what).toMatchObject({ decision_reason: "dpop_replay_unavailable", detail: { stage: "binding", field: "jti" } });
    }
  });

  it("the bound token sent as a Bearer token, with or without a proof", async () => {
    await expectRefused(send({ authorization: `Bearer ${bound}` }), "dpop_bound_as_bearer", "invalid_token");
    await expectRefused(send({ authorization: `Bearer ${bound}`, dpop: await proof() }), "dpop_bound_as_bearer", "invalid_token");
  });

  it("the DPoP scheme with a token that is not bound", async () => {
    const plain = await op.token(JWT_RESOURCE);
    await expectRefused(send({ authorization: `DPoP ${plain}`, dpop: await proof({ accessToken: plain }) }), "dpop_unbound_token", "invalid_token");
  });

  it("an unbound token where the issuer requires DPoP, while bound tokens still pass", async () => {
    const strict = await oidcPipeline([discoveredIssuer(op, { dpop: { required: true } })]);
    const plain = await op.token(JWT_RESOURCE);
    expect(await send({ authorization: `Bearer ${plain}` }, "GET", strict)).toMatchObject({ allow: false, status: 401, reason: "dpop_required" });
    expect(await send({ authorization: `DPoP ${bound}`, dpop: await proof() }, "GET", strict)).toMatchObject({ allow: true });
  });

  it("an unbound token on a route that requires DPoP (senderConstraint), while the issuer's other routes take it", async () => {
    const routes = (exampleRoutes() as RoutesFile).routes.map((route): RouteSpec => (route.method === "GET" && route.path === "/tenants/:tenant/orders" ? { ...route, senderConstraint: "dpop" } : route));
    const strictRoute = await oidcPipeline([discoveredIssuer(op)], { routes });
    const plain = await op.token(JWT_RESOURCE);
    const refused = await send({ authorization: `Bearer ${plain}` }, "GET", strictRoute);
    expect(refused).toMatchObject({ allow: false, status: 401, reason: "dpop_required" });
    expect(refused.wwwAuthenticate).toMatch(/^DPoP algs="[^"]+", error="invalid_token"/);
    expect(strictRoute.audit.records.at(-1)).toMatchObject({ decision_reason: "dpop_required", detail: { stage: "binding", field: "cnf" } });
    expect(await send({ authorization: `DPoP ${bound}`, dpop: await proof() }, "GET", strictRoute)).toMatchObject({ allow: true });
    const other = await strictRoute.authorize(apiRequest("GET", `${PATH}/o-1`, { authorization: `Bearer ${plain}` }));
    expect(other).toMatchObject({ allow: true });
  });

  it("a proof algorithm outside the issuer's allowlist", async () => {
    const narrow = await oidcPipeline([discoveredIssuer(op, { dpop: { algorithms: ["EdDSA"] } })]);
    const decision = await send({ authorization: `DPoP ${bound}`, dpop: await proof() }, "GET", narrow);
    expect(decision).toMatchObject({ allow: false, reason: "dpop_alg_not_allowed" });
    expect(decision.wwwAuthenticate).toMatch(/^DPoP algs="EdDSA"/);
  });
});

describe("DPoP: unbound bearer tokens are not slowed", () => {
  it("decides a cached unbound bearer token in the same turn", async () => {
    const plain = await op.token(JWT_RESOURCE);
    const request = apiRequest("GET", PATH, { authorization: `Bearer ${plain}` });
    expect(await pipeline.authorize(request)).toMatchObject({ allow: true });
    const again = pipeline.authorize.decide(request);
    expect(typeof (again as { then?: unknown }).then).toBe("undefined");
  });
});
