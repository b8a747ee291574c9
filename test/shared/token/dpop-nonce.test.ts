// DPoP server nonces (RFC 9449 §8, issue #20): with `dpop.nonce` configured, a proof must carry a
// nonce the authorizer made, from the current or previous window, with the issuer's key. Real proofs
// from the local provider's bound tokens, through the pipeline and each adapter's response.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { validateConfig } from "../../../shared/config/index.ts";
import { problemResponse } from "../../../shared/middleware/index.ts";
import { createDpopNonces } from "../../../shared/token/dpop-nonce.ts";
import { resolveDpop } from "../../../shared/token/provider-config.ts";
import { proxyResponse } from "../../../functions/node/respond.ts";
import { iamPolicyResponse, simpleResponse } from "../../../functions/lambda/respond.ts";
import { auditLineErrors } from "../../harness/index.ts";
import { JWT_RESOURCE, createDpopKey, dpopProof, startOidcProvider, type DpopKey, type OidcProviderServer } from "../../harness/oidc-provider.ts";
import { API_ORIGIN, apiRequest, discoveredIssuer, oidcPipeline, type OidcPipeline } from "./_oidc.ts";

const PATH = "/tenants/acme/orders";
const SECRET = "a-nonce-key-of-at-least-32-chars!!";
const OTHER_SECRET = "another-nonce-key-32-chars-long!!!";
const WINDOW_S = 3600; // the longest window: a test never straddles a window boundary by chance

let op: OidcProviderServer;
let key: DpopKey;
let bound: string;
let pipeline: OidcPipeline;
beforeAll(async () => {
  op = await startOidcProvider();
  key = await createDpopKey();
  bound = await op.token(JWT_RESOURCE, key);
  pipeline = await oidcPipeline([discoveredIssuer(op, { dpop: { nonce: { secret: SECRET, windowSeconds: WINDOW_S } } })]);
});
afterAll(() => op.stop());

const send = async (nonce?: string) =>
  pipeline.authorize(apiRequest("GET", PATH, { authorization: `DPoP ${bound}`, dpop: await dpopProof(key, { method: "GET", url: `${API_ORIGIN}${PATH}`, accessToken: bound, nonce }) }));

function expectNonceRefusal(decision: Awaited<ReturnType<typeof send>>): string {
  expect(decision).toMatchObject({ allow: false, status: 401, reason: "dpop_nonce_required" });
  expect(decision.wwwAuthenticate).toMatch(/^DPoP algs="[^"]+", error="use_dpop_nonce"/);
  expect(decision.dpopNonce).toMatch(/^[0-9]+\.[0-9a-f]{64}$/);
  const line = pipeline.audit.records.at(-1)!;
  expect(line).toMatchObject({ decision_reason: "dpop_nonce_required", auth_error: "dpop_nonce_required", detail: { stage: "binding", field: "nonce" } });
  expect(auditLineErrors(line)).toEqual([]);
  // The nonce never reaches the audit line: it is the client's next credential part
  expect(JSON.stringify(line)).not.toContain(decision.dpopNonce!);
  return decision.dpopNonce!;
}

describe("DPoP nonces through the pipeline", () => {
  it("refuses a proof without a nonce with use_dpop_nonce and a fresh nonce, then allows the retry with it", async () => {
    const nonce = expectNonceRefusal(await send());
    expect(await send(nonce)).toMatchObject({ allow: true, reason: "allowed" });
  });

  it("accepts a nonce from the previous window, made by another instance with the same key", async () => {
    const previous = createDpopNonces(SECRET, WINDOW_S).issue(Date.now() - WINDOW_S * 1000);
    expect(await send(previous)).toMatchObject({ allow: true });
  });

  it("refuses a nonce from an expired window", async () => {
    const expired = createDpopNonces(SECRET, WINDOW_S).issue(Date.now() - 3 * WINDOW_S * 1000);
    expectNonceRefusal(await send(expired));
  });

  it("refuses a nonce made with another key", async () => {
    const foreign = createDpopNonces(OTHER_SECRET, WINDOW_S).issue(Date.now());
    expectNonceRefusal(await send(foreign));
  });

  it("refuses a made-up or malformed nonce", async () => {
    const real = createDpopNonces(SECRET, WINDOW_S).issue(Date.now());
    const window = real.split(".")[0];
    expectNonceRefusal(await send(`${window}.${"0".repeat(64)}`));
    expectNonceRefusal(await send("not-a-nonce"));
    expectNonceRefusal(await send(`${Number(window) + 1}.${real.split(".")[1]}`));
  });

  it("leaves issuers without nonce options alone", async () => {
    const plain = await oidcPipeline([discoveredIssuer(op)]);
    const decision = await plain.authorize(apiRequest("GET", PATH, { authorization: `DPoP ${bound}`, dpop: await dpopProof(key, { method: "GET", url: `${API_ORIGIN}${PATH}`, accessToken: bound }) }));
    expect(decision).toMatchObject({ allow: true });
    expect(decision.dpopNonce).toBeUndefined();
  });
});

describe("DPoP nonces reach the client", () => {
  it("the Worker/Hono problem response carries the challenge and the DPoP-Nonce header", async () => {
    const decision = await send();
    const response = problemResponse(decision);
    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate")).toContain('error="use_dpop_nonce"');
    expect(response.headers.get("dpop-nonce")).toBe(decision.dpopNonce);
    expect(await send(response.headers.get("dpop-nonce")!)).toMatchObject({ allow: true });
  });

  it("the forward-auth response carries them for the proxy to pass on", async () => {
    const decision = await send();
    const response = proxyResponse(decision);
    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate")).toContain('error="use_dpop_nonce"');
    expect(response.headers.get("dpop-nonce")).toBe(decision.dpopNonce);
  });
});

describe("DPoP nonces behind Lambda (documented limitation)", () => {
  it("cannot send the nonce: REST throws Unauthorized, the HTTP API denies, and neither leaks the nonce", async () => {
    const decision = await send();
    expect(decision.dpopNonce).toBeDefined();
    expect(() => iamPolicyResponse(decision, "arn:aws:execute-api:eu-west-1:123456789012:abc/prod/GET/tenants/acme/orders")).toThrow(/^Unauthorized$/);
    const simple = simpleResponse(decision);
    expect(simple.isAuthorized).toBe(false);
    expect(JSON.stringify(simple)).not.toContain(decision.dpopNonce!);
  });
});

describe("the nonce maker", () => {
  const nonces = createDpopNonces(SECRET, 300);
  const t = 1_800_000_000_000; // a fixed instant: windows are counted from the epoch

  it("hands out one nonce per window and accepts it for that window and the next only", () => {
    const nonce = nonces.issue(t);
    expect(nonces.issue(t + 1)).toBe(nonce);
    const windowStart = Math.floor(t / 300_000) * 300_000;
    expect(nonces.accepts(nonce, windowStart)).toBe(true);
    expect(nonces.accepts(nonce, windowStart + 599_999)).toBe(true);
    expect(nonces.accepts(nonce, windowStart + 600_000)).toBe(false);
    expect(nonces.accepts(nonce, windowStart - 1)).toBe(false);
  });

  it("refuses another key's nonce and anything that is not a nonce", () => {
    expect(createDpopNonces(OTHER_SECRET, 300).accepts(nonces.issue(t), t)).toBe(false);
    for (const bad of [undefined, null, 42, "", ".", `${"9".repeat(200)}.x`, "x.y"]) expect(nonces.accepts(bad, t)).toBe(false);
  });

  it("is configured per issuer, with a secret of at least 32 characters", () => {
    expect(resolveDpop({ nonce: { secret: SECRET } }, "dpop").nonce).not.toBeNull();
    expect(resolveDpop({}, "dpop").nonce).toBeNull();
    expect(() => resolveDpop({ nonce: { secret: "short" } }, "dpop")).toThrow(/dpop\.nonce\.secret/);
    expect(() => resolveDpop({ nonce: { secret: SECRET, windowSeconds: 5 } }, "dpop")).toThrow(/dpop\.nonce\.windowSeconds/);
    expect(() => resolveDpop({ nonce: { secret: SECRET, ttl: 5 } }, "dpop")).toThrow(/dpop\.nonce/);
  });

  it("is accepted by the config validator (the valibot schema) and refused there when wrong", () => {
    const config = (nonce: unknown) => ({
      token: { issuers: [{ issuer: "https://auth.example.com/", audience: "https://api.example.com", algorithms: ["RS256"], jwksUri: "https://auth.example.com/jwks", dpop: { nonce } }] },
      routes: [{ method: "GET", path: "/health", public: true }],
      revocation: null,
    });
    expect(() => validateConfig(config({ secret: SECRET, windowSeconds: 3600 }))).not.toThrow();
    expect(() => validateConfig(config({ secret: "short" }))).toThrow(/nonce/);
    expect(() => validateConfig(config({ secret: SECRET, windowSeconds: 3601 }))).toThrow(/nonce/);
  });
});
