import { describe, expect, it, beforeAll, afterAll } from "vitest";
import fc from "fast-check";
import { CompactEncrypt, exportSPKI, generateKeyPair, SignJWT } from "jose";
import { frozenClock } from "../../../shared/clock/index.ts";
import { createJwksRegistry, createTokenVerifier, type TokenVerifier, type VerifyOutcome } from "../../../shared/token/index.ts";
import {
  createTestKey,
  encodeJson,
  mintHmacToken,
  mintToken,
  signRaw,
  startJwksServer,
  tamperHeader,
  tamperPayload,
  unsignedToken,
  type JwksServer,
  type TestKey,
} from "../../harness/index.ts";
import { ASYMMETRIC, AUDIENCE, ISSUER, NOW_MS, NOW_S, SECRET, at, inlineIssuer, testKey, tokenConfig } from "./fixtures.ts";

function verifierFor(keys: TestKey[], overrides: Parameters<typeof inlineIssuer>[1] = {}, clock = frozenClock(NOW_MS)): TokenVerifier {
  return createTokenVerifier(tokenConfig([inlineIssuer(keys, overrides)]), { clock, jwksRegistry: createJwksRegistry() });
}

function expectFailure(outcome: VerifyOutcome, reason: string, field?: string): void {
  expect(outcome.ok).toBe(false);
  if (outcome.ok) return;
  expect(outcome.reason).toBe(reason);
  if (field !== undefined) expect(outcome.field).toBe(field);
}

describe("accepts real signed tokens", () => {
  for (const alg of ASYMMETRIC) {
    it(`verifies ${alg} with inline keys`, async () => {
      const key = await testKey(alg);
      const verifier = verifierFor([key]);
      const outcome = await verifier.verify(await mintToken(key, { tenant: "acme" }, at()));
      expect(outcome.ok).toBe(true);
      if (!outcome.ok) return;
      expect(outcome.claims.sub).toBe("user-1");
      expect(outcome.claims.tenant).toBe("acme");
      expect(outcome.issuer).toBe(ISSUER);
      expect(outcome.cache).toEqual({ hit: false });
    });
  }

  it("verifies HS256 service tokens with a shared secret", async () => {
    const verifier = createTokenVerifier(
      tokenConfig([{ issuer: "svc", name: "internal", audience: AUDIENCE, algorithms: ["HS256"], secret: SECRET }]),
      { clock: frozenClock(NOW_MS) },
    );
    const token = await mintHmacToken(SECRET, { iss: "svc", aud: AUDIENCE, sub: "billing" }, { now: NOW_S });
    const outcome = await verifier.verify(token);
    expect(outcome.ok && outcome.claims.sub).toBe("billing");
    expect(outcome.ok && outcome.issuer).toBe("internal");
  });

  it("refuses an HS256 token signed with another secret", async () => {
    const verifier = createTokenVerifier(tokenConfig([{ issuer: "svc", audience: null, algorithms: ["HS256"], secret: SECRET }]), { clock: frozenClock(NOW_MS) });
    const token = await mintHmacToken(`${SECRET}x`, { iss: "svc" }, { now: NOW_S });
    expectFailure(await verifier.verify(token), "bad_signature", "signature");
  });

  it("verifies RS256 against a real JWKS endpoint and reports the key set's age", async () => {
    const key = await testKey("RS256");
    const server = await startJwksServer([key.publicJwk]);
    try {
      const clock = frozenClock(NOW_MS);
      const verifier = createTokenVerifier(
        tokenConfig([{ issuer: ISSUER, audience: AUDIENCE, algorithms: ["RS256"], jwksUri: server.url }], { cache: null }),
        { clock, jwksRegistry: createJwksRegistry() },
      );
      const first = await verifier.verify(await mintToken(key, {}, at()));
      expect(first.ok && first.cache).toEqual({ hit: false, jwksAgeSeconds: 0 });
      clock.advance(42_000);
      const second = await verifier.verify(await mintToken(key, {}, at(NOW_S + 42)));
      expect(second.ok && second.cache).toEqual({ hit: false, jwksAgeSeconds: 42 });
      expect(server.requests).toHaveLength(1);
    } finally {
      await server.stop();
    }
  });

  it("selects keys by the token's issuer when several issuers are configured", async () => {
    const a = await testKey("ES256", "tenant-a");
    const b = await testKey("RS256", "tenant-b");
    const verifier = createTokenVerifier(
      tokenConfig([
        { issuer: "https://a.example.test/", name: "tenant-a", audience: AUDIENCE, algorithms: ["ES256"], jwks: { keys: [a.publicJwk] } },
        { issuer: "https://b.example.test/", name: "tenant-b", audience: "other-api", algorithms: ["RS256"], jwks: { keys: [b.publicJwk] } },
      ]),
      { clock: frozenClock(NOW_MS) },
    );
    const fromA = await verifier.verify(await mintToken(a, {}, { ...at(), issuer: "https://a.example.test/" }));
    const fromB = await verifier.verify(await mintToken(b, {}, { ...at(), issuer: "https://b.example.test/", audience: "other-api" }));
    expect(fromA.ok && fromA.issuer).toBe("tenant-a");
    expect(fromB.ok && fromB.issuer).toBe("tenant-b");
  });
});

describe("checks claims", () => {
  let key: TestKey;
  beforeAll(async () => {
    key = await testKey("ES256");
  });

  it("refuses an expired token naming exp", async () => {
    const token = await mintToken(key, {}, at(NOW_S - 400, { ttlSeconds: 300 }));
    expectFailure(await verifierFor([key]).verify(token), "expired", "exp");
  });

  it("accepts a token expired within the clock tolerance and refuses it just past", async () => {
    const token = await mintToken(key, {}, at(NOW_S - 320, { ttlSeconds: 300 }));
    expect((await verifierFor([key]).verify(token)).ok).toBe(true);
    expectFailure(await verifierFor([key], { clockToleranceSeconds: 19 }).verify(token), "expired", "exp");
  });

  it("refuses a token that is not yet valid naming nbf", async () => {
    const token = await mintToken(key, { nbf: NOW_S + 120 }, at());
    expectFailure(await verifierFor([key]).verify(token), "not_yet_valid", "nbf");
  });

  it("honours nbf within the clock tolerance", async () => {
    const token = await mintToken(key, { nbf: NOW_S + 10 }, at());
    expect((await verifierFor([key]).verify(token)).ok).toBe(true);
    expectFailure(await verifierFor([key], { clockToleranceSeconds: 0 }).verify(token), "not_yet_valid", "nbf");
  });

  it("requires exp", async () => {
    const token = await signRaw({ alg: "ES256", kid: key.kid }, { iss: ISSUER, aud: AUDIENCE, sub: "u", iat: NOW_S }, key.privateKey);
    expectFailure(await verifierFor([key]).verify(token), "missing_claim", "exp");
  });

  it("refuses exp of the wrong type as claim_type", async () => {
    const token = await signRaw({ alg: "ES256", kid: key.kid }, { iss: ISSUER, aud: AUDIENCE, exp: String(NOW_S + 60) }, key.privateKey);
    expectFailure(await verifierFor([key]).verify(token), "claim_type", "exp");
  });

  it("refuses nbf of the wrong type as claim_type", async () => {
    const token = await mintToken(key, { nbf: "soon" as unknown as number }, at());
    expectFailure(await verifierFor([key]).verify(token), "claim_type", "nbf");
  });

  it("refuses a token for another audience", async () => {
    const token = await mintToken(key, {}, at(NOW_S, { audience: "https://elsewhere.example.test" }));
    expectFailure(await verifierFor([key]).verify(token), "wrong_audience", "aud");
  });

  it("refuses a token without aud when an audience is configured", async () => {
    const token = await mintToken(key, {}, { issuer: ISSUER, now: NOW_S });
    expectFailure(await verifierFor([key]).verify(token), "wrong_audience", "aud");
  });

  it("accepts any of several audiences, and skips the check only with an explicit null", async () => {
    const token = await mintToken(key, {}, at(NOW_S, { audience: ["x", "second"] }));
    expect((await verifierFor([key], { audience: ["first", "second"] }).verify(token)).ok).toBe(true);
    expect((await verifierFor([key], { audience: null }).verify(token)).ok).toBe(true);
  });

  it("refuses a token older than maxAgeSeconds as too_old", async () => {
    const token = await mintToken(key, {}, at(NOW_S - 700, { ttlSeconds: 3600 }));
    expectFailure(await verifierFor([key], { maxAgeSeconds: 600 }).verify(token), "too_old", "iat");
    expect((await verifierFor([key], { maxAgeSeconds: 900 }).verify(token)).ok).toBe(true);
  });

  it("refuses iat in the future when a max age is set", async () => {
    const token = await mintToken(key, {}, at(NOW_S + 120));
    expectFailure(await verifierFor([key], { maxAgeSeconds: 600 }).verify(token), "issued_in_future", "iat");
  });

  // Regression for #21: jose checks a future iat only with maxTokenAge, and maxAgeSeconds defaults to null
  it("refuses a token issued a year ahead on an issuer without maxAgeSeconds, naming iat (#21)", async () => {
    const token = await mintToken(key, {}, at(NOW_S + 365 * 86_400, { ttlSeconds: 600 }));
    expectFailure(await verifierFor([key]).verify(token), "issued_in_future", "iat");
  });

  it("accepts iat ahead within the clock tolerance and refuses it just past (#21)", async () => {
    const token = await mintToken(key, {}, at(NOW_S + 30));
    expect((await verifierFor([key]).verify(token)).ok).toBe(true);
    expectFailure(await verifierFor([key], { clockToleranceSeconds: 29 }).verify(token), "issued_in_future", "iat");
  });

  it("refuses a future iat from a shared-secret issuer too (#21)", async () => {
    const verifier = createTokenVerifier(tokenConfig([{ issuer: ISSUER, audience: AUDIENCE, algorithms: ["HS256"], secret: SECRET }]), { clock: frozenClock(NOW_MS), jwksRegistry: createJwksRegistry() });
    const token = await mintHmacToken(SECRET, { iss: ISSUER, aud: AUDIENCE, sub: "svc" }, { now: NOW_S + 3600 });
    expectFailure(await verifier.verify(token), "issued_in_future", "iat");
  });

  it("refuses a future nbf by default, without maxAgeSeconds (#21)", async () => {
    const token = await mintToken(key, { nbf: NOW_S + 86_400 }, at());
    expectFailure(await verifierFor([key]).verify(token), "not_yet_valid", "nbf");
  });

  it("requires iat when a max age is set", async () => {
    const token = await signRaw({ alg: "ES256", kid: key.kid }, { iss: ISSUER, aud: AUDIENCE, exp: NOW_S + 60 }, key.privateKey);
    expectFailure(await verifierFor([key], { maxAgeSeconds: 600 }).verify(token), "missing_claim", "iat");
  });

  it("checks typ when configured (RFC 9068 at+jwt), with or without the application/ prefix", async () => {
    const verifier = verifierFor([key], { typ: "at+jwt" });
    expect((await verifier.verify(await mintToken(key, {}, at(NOW_S, { header: { typ: "at+jwt" } })))).ok).toBe(true);
    expect((await verifier.verify(await mintToken(key, {}, at(NOW_S, { header: { typ: "application/at+jwt" } })))).ok).toBe(true);
    expectFailure(await verifier.verify(await mintToken(key, {}, at(NOW_S, { header: { typ: "JWT" } }))), "wrong_typ", "typ");
    expectFailure(await verifier.verify(await mintToken(key, {}, at())), "wrong_typ", "typ");
  });

  it("refuses an unknown issuer", async () => {
    const token = await mintToken(key, {}, { ...at(), issuer: "https://evil.example.test/" });
    expectFailure(await verifierFor([key]).verify(token), "wrong_issuer", "iss");
  });

  it("refuses an issuer that differs only by a trailing slash or case", async () => {
    const verifier = verifierFor([key]);
    expectFailure(await verifier.verify(await mintToken(key, {}, { ...at(), issuer: ISSUER.slice(0, -1) })), "wrong_issuer", "iss");
    expectFailure(await verifier.verify(await mintToken(key, {}, { ...at(), issuer: ISSUER.toUpperCase() })), "wrong_issuer", "iss");
  });

  it("refuses a token without iss", async () => {
    const token = await mintToken(key, {}, { audience: AUDIENCE, now: NOW_S });
    expectFailure(await verifierFor([key]).verify(token), "wrong_issuer", "iss");
  });
});

describe("refuses malformed input without crashing", () => {
  let key: TestKey;
  let verifier: TokenVerifier;
  beforeAll(async () => {
    key = await testKey("ES256");
    verifier = verifierFor([key]);
  });

  it("refuses an empty token as missing_token", async () => {
    expectFailure(await verifier.verify(""), "missing_token", "token");
  });

  it("refuses a 1 MiB token as too_large, fast", async () => {
    // Not base64url JSON at all: only a length check before decoding can answer too_large.
    const huge = `${"!".repeat(512 * 1024)}.${"!".repeat(512 * 1024)}.!`;
    const started = performance.now();
    expectFailure(await verifier.verify(huge), "too_large", "token");
    expect(performance.now() - started).toBeLessThan(100);
  });

  it("honours a configured maxTokenBytes", async () => {
    const token = await mintToken(key, {}, at());
    const small = createTokenVerifier(tokenConfig([inlineIssuer([key])], { maxTokenBytes: 512 }), { clock: frozenClock(NOW_MS) });
    expectFailure(await small.verify(token + "A".repeat(600)), "too_large", "token");
    expect((await small.verify(token)).ok).toBe(true);
  });

  it("refuses a token with two parts", async () => {
    expectFailure(await verifier.verify(`${encodeJson({ alg: "ES256" })}.${encodeJson({ iss: ISSUER })}`), "malformed", "token");
  });

  it("refuses a JWE compact token where a JWS is expected", async () => {
    const { publicKey } = await generateKeyPair("RSA-OAEP-256");
    const jwe = await new CompactEncrypt(new TextEncoder().encode(JSON.stringify({ iss: ISSUER, aud: AUDIENCE, exp: NOW_S + 60 })))
      .setProtectedHeader({ alg: "RSA-OAEP-256", enc: "A256GCM", kid: key.kid })
      .encrypt(publicKey);
    expect(jwe.split(".")).toHaveLength(5);
    expectFailure(await verifier.verify(jwe), "malformed", "token");
  });

  it("refuses malformed base64url in the header", async () => {
    const token = await mintToken(key, {}, at());
    expectFailure(await verifier.verify(`e+J${token.slice(3)}`), "malformed", "header");
    expectFailure(await verifier.verify(`${token.slice(0, 5)}!${token.slice(6)}`), "malformed", "header");
  });

  it("refuses malformed base64url in the payload", async () => {
    const [h, , s] = (await mintToken(key, {}, at())).split(".");
    expectFailure(await verifier.verify(`${h}.eyJ%.${s}`), "malformed", "payload");
    expectFailure(await verifier.verify(`${h}.A.${s}`), "malformed", "payload");
  });

  it("refuses a header that is not a JSON object", async () => {
    const [, p, s] = (await mintToken(key, {}, at())).split(".");
    expectFailure(await verifier.verify(`${encodeJson(["ES256"])}.${p}.${s}`), "malformed", "header");
    expectFailure(await verifier.verify(`${btoa("{not json").replace(/=/g, "")}.${p}.${s}`), "malformed", "header");
  });

  it("refuses a payload that is not a JSON object", async () => {
    const [h, , s] = (await mintToken(key, {}, at())).split(".");
    expectFailure(await verifier.verify(`${h}.${encodeJson("just a string")}.${s}`), "malformed", "payload");
  });

  it("refuses a header without alg", async () => {
    const [, p, s] = (await mintToken(key, {}, at())).split(".");
    expectFailure(await verifier.verify(`${encodeJson({ kid: key.kid })}.${p}.${s}`), "malformed", "alg");
  });

  it("refuses a kid that is not a string", async () => {
    const token = tamperHeader(await mintToken(key, {}, at()), (h) => ({ ...h, kid: 7 }));
    expectFailure(await verifier.verify(token), "malformed", "kid");
  });

  it("refuses a malformed signature segment", async () => {
    const token = await mintToken(key, {}, at());
    expectFailure(await verifier.verify(`${token.slice(0, -2)}+/`), "malformed", "signature");
  });

  it("never rejects on hostile strings", async () => {
    const inputs = ["...", "a.b.c", ".", "\u0000.\u0000.\u0000", "eyJ.eyJ.eyJ", `${encodeJson({ alg: "ES256" })}.${encodeJson(null)}.AA`, "ü.ü.ü"];
    for (const input of inputs) {
      const outcome = await verifier.verify(input);
      expect(outcome.ok).toBe(false);
    }
    expect((await verifier.verify(undefined as unknown as string)).ok).toBe(false);
  });

  it("answers every arbitrary string with a refusal, never a rejection (property)", async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 300 }), async (input) => {
        const outcome = await verifier.verify(input);
        expect(outcome.ok).toBe(false);
      }),
      { numRuns: 300 },
    );
  });

  it("answers arbitrary JSON headers and payloads with a refusal (property)", async () => {
    const [, , signature] = (await mintToken(key, {}, at())).split(".");
    await fc.assert(
      fc.asyncProperty(fc.jsonValue(), fc.jsonValue(), fc.constantFrom("ES256", "none", "HS256", undefined), async (header, payload, alg) => {
        const h = alg === undefined || typeof header !== "object" || header === null || Array.isArray(header) ? header : { ...header, alg, kid: key.kid };
        const p = typeof payload === "object" && payload !== null && !Array.isArray(payload) ? { ...payload, iss: ISSUER } : payload;
        const outcome = await verifier.verify(`${encodeJson(h)}.${encodeJson(p)}.${signature}`);
        expect(outcome.ok).toBe(false);
      }),
      { numRuns: 300 },
    );
  });
});

describe("security", () => {
  let rsa: TestKey;
  let es: TestKey;
  beforeAll(async () => {
    rsa = await testKey("RS256");
    es = await testKey("ES256");
  });

  it("refuses alg none in any spelling", async () => {
    const verifier = verifierFor([rsa]);
    for (const alg of ["none", "None", "NONE"]) {
      const token = unsignedToken({ alg, kid: rsa.kid }, { iss: ISSUER, aud: AUDIENCE, sub: "admin", exp: NOW_S + 60 });
      expectFailure(await verifier.verify(token), "alg_not_allowed", "alg");
    }
  });

  it("refuses alg confusion: HS256 signed with the issuer's RSA public key", async () => {
    const verifier = verifierFor([rsa]);
    const publicKey = await crypto.subtle.importKey("jwk", rsa.publicJwk as JsonWebKey, { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" }, true, ["verify"]);
    const pem = await exportSPKI(publicKey);
    for (const secret of [new TextEncoder().encode(pem), new TextEncoder().encode(JSON.stringify(rsa.publicJwk))]) {
      const forged = await new SignJWT({ sub: "admin" })
        .setProtectedHeader({ alg: "HS256", kid: rsa.kid })
        .setIssuer(ISSUER)
        .setAudience(AUDIENCE)
        .setExpirationTime(NOW_S + 60)
        .sign(secret);
      expectFailure(await verifier.verify(forged), "alg_not_allowed", "alg");
    }
  });

  it("refuses an algorithm outside the issuer's list even when a key would fit", async () => {
    const ps = await createTestKey("PS256", rsa.kid);
    // Same RSA family, same kid, but the issuer only allows RS256.
    const token = await mintToken(ps, {}, at());
    expectFailure(await verifierFor([rsa]).verify(token), "alg_not_allowed", "alg");
  });

  it("ignores an embedded jwk header: the attacker's key with the attacker's kid is unknown", async () => {
    const attacker = await createTestKey("ES256", "attacker");
    const token = await mintToken(attacker, { sub: "admin" }, at(NOW_S, { header: { jwk: attacker.publicJwk } }));
    expectFailure(await verifierFor([es]).verify(token), "unknown_kid", "kid");
  });

  it("ignores an embedded jwk header: the attacker's key under our kid fails the signature", async () => {
    const attacker = await createTestKey("ES256", es.kid);
    const token = await mintToken(attacker, { sub: "admin" }, at(NOW_S, { header: { jwk: attacker.publicJwk, x5c: ["MIIB"] } }));
    expectFailure(await verifierFor([es]).verify(token), "bad_signature", "signature");
  });

  describe("never fetches a URL the token names", () => {
    let attackerServer: JwksServer;
    let idp: JwksServer;
    beforeAll(async () => {
      const attacker = await createTestKey("RS256", "attacker");
      attackerServer = await startJwksServer([attacker.publicJwk]);
      idp = await startJwksServer([rsa.publicJwk]);
    });
    afterAll(async () => {
      await attackerServer.stop();
      await idp.stop();
    });

    for (const header of ["jku", "x5u"]) {
      it(`ignores ${header} pointing at a local server, which receives no request`, async () => {
        const attacker = await createTestKey("RS256", "attacker");
        const verifier = createTokenVerifier(tokenConfig([{ issuer: ISSUER, audience: AUDIENCE, algorithms: ["RS256"], jwksUri: idp.url }]), {
          clock: frozenClock(NOW_MS),
          jwksRegistry: createJwksRegistry(),
        });
        const token = await mintToken(attacker, { sub: "admin" }, at(NOW_S, { header: { [header]: attackerServer.url } }));
        expectFailure(await verifier.verify(token), "unknown_kid", "kid");
        // Our own IdP's key with a hostile jku still verifies, from our keys only.
        expect((await verifier.verify(await mintToken(rsa, {}, at(NOW_S, { header: { [header]: attackerServer.url } })))).ok).toBe(true);
        expect(attackerServer.requests).toHaveLength(0);
        expect(idp.requests.every((r) => r.path === "/.well-known/jwks.json")).toBe(true);
      });
    }
  });

  it("refuses a tampered payload", async () => {
    const token = await mintToken(es, { role: "user" }, at());
    const forged = tamperPayload(token, (p) => ({ ...p, role: "admin" }));
    expectFailure(await verifierFor([es]).verify(forged), "bad_signature", "signature");
  });

  it("refuses a tampered header", async () => {
    const token = await mintToken(es, {}, at());
    const forged = tamperHeader(token, (h) => ({ ...h, typ: "at+jwt" }));
    expectFailure(await verifierFor([es]).verify(forged), "bad_signature", "signature");
  });

  it("refuses another token's signature", async () => {
    const [h, p] = (await mintToken(es, { sub: "admin" }, at())).split(".");
    const [, , s] = (await mintToken(es, { sub: "user" }, at())).split(".");
    expectFailure(await verifierFor([es]).verify(`${h}.${p}.${s}`), "bad_signature", "signature");
  });

  it("refuses an empty signature for a real algorithm", async () => {
    const token = await mintToken(es, {}, at());
    expectFailure(await verifierFor([es]).verify(token.slice(0, token.lastIndexOf(".") + 1)), "bad_signature", "signature");
  });

  it("refuses a token signed by the right key type under a different issuer's keys", async () => {
    const other = await createTestKey("ES256", es.kid);
    expectFailure(await verifierFor([es]).verify(await mintToken(other, {}, at())), "bad_signature", "signature");
  });

  it("refuses unknown crit extensions", async () => {
    const token = await signRaw(
      { alg: "ES256", kid: es.kid, crit: ["https://example.test/ext"], "https://example.test/ext": true },
      { iss: ISSUER, aud: AUDIENCE, exp: NOW_S + 60 },
      es.privateKey,
      { "https://example.test/ext": true },
    );
    expectFailure(await verifierFor([es]).verify(token), "unknown_crit", "crit");
  });

  it("refuses an unknown kid", async () => {
    const token = await mintToken(await createTestKey("ES256", "rotated-away"), {}, at());
    expectFailure(await verifierFor([es]).verify(token), "unknown_kid", "kid");
  });

  it("accepts a token without kid only when exactly one key fits", async () => {
    const second = await testKey("ES256", "b");
    const token = await signRaw({ alg: "ES256" }, { iss: ISSUER, aud: AUDIENCE, exp: NOW_S + 60 }, es.privateKey);
    expect((await verifierFor([es, rsa], { algorithms: ["ES256", "RS256"] }).verify(token)).ok).toBe(true);
    expectFailure(await verifierFor([es, second]).verify(token), "unknown_kid", "kid");
  });

  it("refuses an RSA key shorter than 2048 bits as key_unusable", async () => {
    const { publicKey, privateKey } = await crypto.subtle.generateKey(
      { name: "RSASSA-PKCS1-v1_5", modulusLength: 1024, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" },
      true,
      ["sign", "verify"],
    );
    const jwk = { ...(await crypto.subtle.exportKey("jwk", publicKey)), kid: "weak", alg: "RS256" };
    const header = encodeJson({ alg: "RS256", kid: "weak" });
    const payload = encodeJson({ iss: ISSUER, aud: AUDIENCE, exp: NOW_S + 60 });
    const signature = new Uint8Array(await crypto.subtle.sign("RSASSA-PKCS1-v1_5", privateKey, new TextEncoder().encode(`${header}.${payload}`)));
    const token = `${header}.${payload}.${btoa(String.fromCharCode(...signature)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=/g, "")}`;
    const verifier = createTokenVerifier(
      tokenConfig([{ issuer: ISSUER, audience: AUDIENCE, algorithms: ["RS256"], jwks: { keys: [jwk as never] } }]),
      { clock: frozenClock(NOW_MS) },
    );
    expectFailure(await verifier.verify(token), "key_unusable", "kid");
  });

  it("keeps the token out of every failure outcome", async () => {
    const token = await mintToken(es, {}, at(NOW_S - 4000));
    const outcome = await verifierFor([es]).verify(token);
    expectFailure(outcome, "expired");
    const text = JSON.stringify(outcome);
    for (const part of token.split(".")) expect(text).not.toContain(part);
  });

  it("leaves the caller's configuration untouched and unfrozen", async () => {
    const config = tokenConfig([inlineIssuer([es], { claims: { principalType: "App::User" } })]);
    const before = structuredClone(config);
    createTokenVerifier(config, { clock: frozenClock(NOW_MS) });
    expect(config).toEqual(before);
    expect(Object.isFrozen(config.issuers[0])).toBe(false);
    expect(Object.isFrozen(config.issuers[0].jwks!.keys[0])).toBe(false);
  });

  it("hands out frozen claims so no stage can change them for another", async () => {
    const outcome = await verifierFor([es]).verify(await mintToken(es, { groups: ["a"] }, at()));
    expect(outcome.ok).toBe(true);
    if (!outcome.ok) return;
    expect(Object.isFrozen(outcome.claims)).toBe(true);
    expect(Object.isFrozen(outcome.claims.groups)).toBe(true);
  });
});

describe("verified-token cache", () => {
  let key: TestKey;
  beforeAll(async () => {
    key = await testKey("ES256");
  });

  it("answers a repeated token from the cache", async () => {
    const verifier = verifierFor([key]);
    const token = await mintToken(key, {}, at());
    expect((await verifier.verify(token)).ok && true).toBe(true);
    const again = await verifier.verify(token);
    expect(again.ok && again.cache).toEqual({ hit: true });
    expect(again.ok && again.claims.sub).toBe("user-1");
  });

  it("re-checks expiry on every hit", async () => {
    const clock = frozenClock(NOW_MS);
    const verifier = verifierFor([key], { clockToleranceSeconds: 0 }, clock);
    const token = await mintToken(key, {}, at(NOW_S, { ttlSeconds: 30 }));
    expect((await verifier.verify(token)).ok).toBe(true);
    clock.advance(29_000);
    const hit = await verifier.verify(token);
    expect(hit.ok && hit.cache.hit).toBe(true);
    clock.advance(1_000);
    expectFailure(await verifier.verify(token), "expired", "exp");
  });

  it("keeps a token no longer than the cache TTL", async () => {
    const clock = frozenClock(NOW_MS);
    const verifier = createTokenVerifier(tokenConfig([inlineIssuer([key])], { cache: { ttlSeconds: 10 } }), { clock });
    const token = await mintToken(key, {}, at());
    await verifier.verify(token);
    clock.advance(9_999);
    const hit = await verifier.verify(token);
    expect(hit.ok && hit.cache.hit).toBe(true);
    clock.advance(1);
    const reverified = await verifier.verify(token);
    expect(reverified.ok && reverified.cache.hit).toBe(false);
  });

  it("keeps a token no longer than its max age", async () => {
    const clock = frozenClock(NOW_MS);
    const verifier = verifierFor([key], { maxAgeSeconds: 100, clockToleranceSeconds: 0 }, clock);
    const token = await mintToken(key, {}, at(NOW_S - 50, { ttlSeconds: 3600 }));
    expect((await verifier.verify(token)).ok).toBe(true);
    clock.advance(50_000);
    expect((await verifier.verify(token)).ok).toBe(true);
    clock.advance(1_000);
    expectFailure(await verifier.verify(token), "too_old", "iat");
  });

  it("evicts the least recently used token when full", async () => {
    const verifier = createTokenVerifier(tokenConfig([inlineIssuer([key])], { cache: { maxEntries: 2 } }), { clock: frozenClock(NOW_MS) });
    const [t1, t2, t3] = await Promise.all([1, 2, 3].map((n) => mintToken(key, { n }, at())));
    await verifier.verify(t1);
    await verifier.verify(t2);
    await verifier.verify(t1); // t1 is now the most recent
    await verifier.verify(t3); // evicts t2
    const r1 = await verifier.verify(t1);
    const r2 = await verifier.verify(t2);
    expect(r1.ok && r1.cache.hit).toBe(true);
    expect(r2.ok && r2.cache.hit).toBe(false);
  });

  it("does not cache when disabled", async () => {
    const verifier = createTokenVerifier(tokenConfig([inlineIssuer([key])], { cache: null }), { clock: frozenClock(NOW_MS) });
    const token = await mintToken(key, {}, at());
    await verifier.verify(token);
    const again = await verifier.verify(token);
    expect(again.ok && again.cache.hit).toBe(false);
  });

  it("never serves a tampered copy of a cached token", async () => {
    const verifier = verifierFor([key]);
    const token = await mintToken(key, { role: "user" }, at());
    await verifier.verify(token);
    expectFailure(await verifier.verify(tamperPayload(token, (p) => ({ ...p, role: "admin" }))), "bad_signature", "signature");
  });

  it("does not cache failures", async () => {
    const verifier = verifierFor([key]);
    const token = await mintToken(key, {}, at(NOW_S, { audience: "nope" }));
    expectFailure(await verifier.verify(token), "wrong_audience", "aud");
    expectFailure(await verifier.verify(token), "wrong_audience", "aud");
  });
});
