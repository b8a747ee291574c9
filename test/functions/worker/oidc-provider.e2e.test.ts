// End to end (issue #20): the built Worker bundle in Miniflare trusting the local OpenID provider by
// discovery, with its JWT, opaque (introspected), DPoP-bound and certificate-bound tokens. workerd
// fetches the provider's documents over loopback, as it would the IdP's over the internet. Each
// refusal is checked by its status, its challenge and the reason in the audit line workerd prints.
import { X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repoRoot } from "../../harness/corpus.ts";
import { startGatehouse, workerBundle, type GatehouseUnderTest } from "../../harness/gatehouse-worker.ts";
import { INTROSPECTOR_CLIENT, JWT_RESOURCE, OPAQUE_RESOURCE, createDpopKey, dpopProof, startOidcProvider, type OidcProviderServer } from "../../harness/oidc-provider.ts";

const PATH = "/tenants/acme/orders";
const pem = readFileSync(join(repoRoot, "test/shared/token/fixtures/client-cert.pem"), "utf8");
const otherPem = readFileSync(join(repoRoot, "test/shared/token/fixtures/other-cert.pem"), "utf8");
// Cloudflare hands the Worker the verified certificate's SHA-256 fingerprint in hex (cf.tlsClientAuth)
const fingerprintOf = (certificate: string) => new X509Certificate(certificate).fingerprint256.replace(/:/g, "").toLowerCase();
let op: OidcProviderServer;
let gatehouse: GatehouseUnderTest;
let sent = 0;

/** Sends one request and answers the response with the decision's audit line. */
async function decide(init: RequestInit & { cf?: unknown }) {
  const response = await gatehouse.fetch(PATH, init);
  sent++;
  const lines = await gatehouse.auditLines(sent);
  expect(lines).toHaveLength(sent);
  return { response, line: lines.at(-1)! };
}

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
    captureStdout: true,
  });
}, 120_000);

afterAll(async () => {
  await gatehouse?.stop();
  await op?.stop();
});

describe("the Worker in workerd with the provider's tokens", () => {
  it("forwards a request with the provider's JWT, its keys found by discovery", async () => {
    const token = await op.token(JWT_RESOURCE);
    const { response, line } = await decide({ headers: { authorization: `Bearer ${token}` } });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ origin: "ok", path: PATH });
    expect(line).toMatchObject({ decision: "allow", decision_reason: "allowed" });
  });

  it("forwards a request with an opaque token the provider introspects, and refuses it once revoked", async () => {
    const token = await op.token(OPAQUE_RESOURCE);
    expect((await decide({ headers: { authorization: `Bearer ${token}` } })).response.status).toBe(200);
    const other = await op.token(OPAQUE_RESOURCE);
    await op.revoke(other);
    const { response, line } = await decide({ headers: { authorization: `Bearer ${other}` } });
    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate")).toMatch(/^Bearer error="invalid_token"/);
    expect(line).toMatchObject({ decision_reason: "token_inactive", detail: { stage: "token", field: "active" } });
  });

  it("forwards a DPoP-bound token with its proof, and refuses a replay, a proof for another URL and Bearer use", async () => {
    const key = await createDpopKey();
    const token = await op.token(JWT_RESOURCE, key);
    const url = `http://gatehouse.test${PATH}`;
    const proof = await dpopProof(key, { method: "GET", url, accessToken: token });
    expect((await decide({ headers: { authorization: `DPoP ${token}`, dpop: proof } })).response.status).toBe(200);
    const replay = await decide({ headers: { authorization: `DPoP ${token}`, dpop: proof } });
    expect(replay.response.status).toBe(401);
    expect(replay.response.headers.get("www-authenticate")).toMatch(/^DPoP algs="[^"]+", error="invalid_dpop_proof"/);
    expect(replay.line).toMatchObject({ decision_reason: "dpop_replayed", detail: { stage: "binding", field: "jti" } });
    const elsewhere = await dpopProof(key, { method: "GET", url: `http://gatehouse.test${PATH}/o-1`, accessToken: token });
    const moved = await decide({ headers: { authorization: `DPoP ${token}`, dpop: elsewhere } });
    expect(moved.response.status).toBe(401);
    expect(moved.line).toMatchObject({ decision_reason: "dpop_htu_mismatch" });
    const asBearer = await decide({ headers: { authorization: `Bearer ${token}` } });
    expect(asBearer.response.status).toBe(401);
    expect(asBearer.response.headers.get("www-authenticate")).toMatch(/^DPoP .*error="invalid_token"/);
    expect(asBearer.line).toMatchObject({ decision_reason: "dpop_bound_as_bearer" });
  });

  it("refuses a DPoP proof with 503 dpop_replay_unavailable, within the deadline, while KV gives no answer", async () => {
    const key = await createDpopKey();
    const token = await op.token(JWT_RESOURCE, key);
    const proof = await dpopProof(key, { method: "GET", url: `http://gatehouse.test${PATH}`, accessToken: token });
    await gatehouse.setKvMode("hang");
    try {
      const started = performance.now();
      const { response, line } = await decide({ headers: { authorization: `DPoP ${token}`, dpop: proof } });
      // The revocation deadline is 500 ms; KV ignores abort signals, so only the race ends the wait
      expect(performance.now() - started).toBeLessThan(10_000);
      expect(response.status).toBe(503);
      expect(line).toMatchObject({ decision_reason: "dpop_replay_unavailable", detail: { stage: "binding", field: "jti" } });
    } finally {
      await gatehouse.setKvMode("ok");
    }
  });

  it("forwards a certificate-bound token only with the certificate Cloudflare verified (cf.tlsClientAuth)", async () => {
    const token = await op.token(JWT_RESOURCE, undefined, pem);
    const headers = { authorization: `Bearer ${token}` };
    const tlsClientAuth = (certificate: string, certVerified = "SUCCESS") => ({ tlsClientAuth: { certPresented: "1", certVerified, certFingerprintSHA256: fingerprintOf(certificate) } });
    expect((await decide({ headers, cf: tlsClientAuth(pem) })).response.status).toBe(200);
    const missing = await decide({ headers });
    expect(missing.response.status).toBe(401);
    expect(missing.response.headers.get("www-authenticate")).toMatch(/^Bearer error="invalid_token"/);
    expect(missing.line).toMatchObject({ decision_reason: "mtls_cert_missing", detail: { stage: "binding", field: "certificate" } });
    // A certificate the edge could not verify counts as none
    expect((await decide({ headers, cf: tlsClientAuth(pem, "FAILED:certificate has expired") })).line).toMatchObject({ decision_reason: "mtls_cert_missing" });
    const other = await decide({ headers, cf: tlsClientAuth(otherPem) });
    expect(other.response.status).toBe(401);
    expect(other.line).toMatchObject({ decision_reason: "mtls_cert_mismatch", detail: { stage: "binding", field: "x5t#S256" } });
  });
});
