// End to end (issue #20): the built Worker bundle in Miniflare trusting the local OpenID provider by
// discovery, with its JWT, opaque (introspected) and DPoP-bound tokens. workerd fetches the
// provider's documents over loopback, as it would the IdP's over the internet.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startGatehouse, workerBundle, type GatehouseUnderTest } from "../../harness/gatehouse-worker.ts";
import { INTROSPECTOR_CLIENT, JWT_RESOURCE, OPAQUE_RESOURCE, createDpopKey, dpopProof, startOidcProvider, type OidcProviderServer } from "../../harness/oidc-provider.ts";

const PATH = "/tenants/acme/orders";
let op: OidcProviderServer;
let gatehouse: GatehouseUnderTest;

beforeAll(async () => {
  op = await startOidcProvider();
  const bundlePath = await workerBundle();
  const provider = { issuer: op.issuer, algorithms: ["ES256"], typ: "at+jwt", discovery: { allowLoopbackHttp: true }, jwksTimeoutMs: 10_000 };
  gatehouse = await startGatehouse({
    bundlePath,
    config: {
      token: {
        issuers: [
          { ...provider, audience: [JWT_RESOURCE, OPAQUE_RESOURCE], introspection: { endpoint: op.introspectionEndpoint, clientId: INTROSPECTOR_CLIENT.id, clientAuth: "client_secret_basic", clientSecret: INTROSPECTOR_CLIENT.secret, deadlineMs: 5000 } },
        ],
      },
      revocation: { store: { kind: "kv" }, deadlineMs: 500 },
    },
  });
}, 120_000);

afterAll(async () => {
  await gatehouse?.stop();
  await op?.stop();
});

describe("the Worker in workerd with the provider's tokens", () => {
  it("forwards a request with the provider's JWT, its keys found by discovery", async () => {
    const token = await op.token(JWT_RESOURCE);
    const response = await gatehouse.fetch(PATH, { headers: { authorization: `Bearer ${token}` } });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ origin: "ok", path: PATH });
  });

  it("forwards a request with an opaque token the provider introspects, and refuses it once revoked", async () => {
    const token = await op.token(OPAQUE_RESOURCE);
    expect((await gatehouse.fetch(PATH, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
    const other = await op.token(OPAQUE_RESOURCE);
    await op.revoke(other);
    const refused = await gatehouse.fetch(PATH, { headers: { authorization: `Bearer ${other}` } });
    expect(refused.status).toBe(401);
    expect(refused.headers.get("www-authenticate")).toMatch(/^Bearer error="invalid_token"/);
  });

  it("forwards a DPoP-bound token with its proof, and refuses a replay, a proof for another URL and Bearer use", async () => {
    const key = await createDpopKey();
    const token = await op.token(JWT_RESOURCE, key);
    const url = `http://gatehouse.test${PATH}`;
    const proof = await dpopProof(key, { method: "GET", url, accessToken: token });
    expect((await gatehouse.fetch(PATH, { headers: { authorization: `DPoP ${token}`, dpop: proof } })).status).toBe(200);
    const replay = await gatehouse.fetch(PATH, { headers: { authorization: `DPoP ${token}`, dpop: proof } });
    expect(replay.status).toBe(401);
    expect(replay.headers.get("www-authenticate")).toMatch(/^DPoP algs="[^"]+", error="invalid_dpop_proof"/);
    const elsewhere = await dpopProof(key, { method: "GET", url: `http://gatehouse.test${PATH}/o-1`, accessToken: token });
    expect((await gatehouse.fetch(PATH, { headers: { authorization: `DPoP ${token}`, dpop: elsewhere } })).status).toBe(401);
    const asBearer = await gatehouse.fetch(PATH, { headers: { authorization: `Bearer ${token}` } });
    expect(asBearer.status).toBe(401);
    expect(asBearer.headers.get("www-authenticate")).toMatch(/^DPoP .*error="invalid_token"/);
  });
});
