import { describe, expect, it } from "vitest";
import { isPromise } from "../../../../shared/pipeline/state.ts";
import { tokenStage } from "../../../../shared/pipeline/stages/token.ts";
import { createTokenVerifier, type VerifyOutcome } from "../../../../shared/token/index.ts";
import { createTestKey, mintToken } from "../../../harness/index.ts";
import { AUDIENCE, ISSUER, NOW_MS, viewer } from "../fixtures.ts";
import { clock, stateFor } from "./_state.ts";

async function setup() {
  const key = await createTestKey("ES256");
  const verifier = createTokenVerifier({ issuers: [{ issuer: ISSUER, audience: AUDIENCE, algorithms: ["ES256"], jwks: { keys: [key.publicJwk] } }] }, { clock });
  const mint = (claims: Record<string, unknown>, now = NOW_MS / 1000) => mintToken(key, claims, { issuer: ISSUER, audience: AUDIENCE, now, ttlSeconds: 300 });
  return { verifier, mint };
}

function withCredential(token: string) {
  const state = stateFor("GET", "/tenants/acme/orders");
  state.credential = token;
  return state;
}

describe("token stage", () => {
  it("goes on with the verified claims of a real signed token", async () => {
    const { verifier, mint } = await setup();
    const state = withCredential(await mint(viewer));
    expect(await tokenStage(verifier)(state)).toBeUndefined();
    expect(state.claims).toMatchObject({ sub: "vera", iss: ISSUER });
    expect(state.verifyMs).toBeGreaterThanOrEqual(0);
  });

  it("refuses an expired token with 401 expired, naming the claim", async () => {
    const { verifier, mint } = await setup();
    const state = withCredential(await mint(viewer, NOW_MS / 1000 - 3600));
    expect(await tokenStage(verifier)(state)).toMatchObject({ status: 401, reason: "expired", detail: { stage: "token", field: "exp" } });
    expect(state.authError).toBe("expired");
  });

  it("refuses a token from another audience with 401 wrong_audience", async () => {
    const { verifier } = await setup();
    const key = await createTestKey("ES256");
    const state = withCredential(await mintToken(key, viewer, { issuer: ISSUER, audience: "elsewhere", now: NOW_MS / 1000 }));
    expect(await tokenStage(verifier)(state)).toMatchObject({ status: 401 });
  });

  it("answers 503 jwks_unavailable when the issuer's keys cannot be fetched: a dependency is down", async () => {
    const verifier = createTokenVerifier(
      { issuers: [{ issuer: ISSUER, audience: AUDIENCE, algorithms: ["ES256"], jwksUri: "https://keys.invalid/jwks.json" }] },
      { clock, fetch: () => Promise.reject(new Error("connection refused")) },
    );
    const { mint } = await setup();
    const state = withCredential(await mint(viewer));
    expect(await tokenStage(verifier)(state)).toMatchObject({ status: 503, reason: "jwks_unavailable", detail: { stage: "token" } });
  });

  it("passes a verifier's synchronous answer through without a Promise (issue #22's cached path)", async () => {
    const { verifier, mint } = await setup();
    const outcome = await verifier.verify(await mint(viewer));
    const cached = { verify: (): VerifyOutcome => outcome } as unknown as Parameters<typeof tokenStage>[0];
    const state = withCredential("cached");
    const answer = tokenStage(cached)(state);
    expect(isPromise(answer)).toBe(false);
    expect(answer).toBeUndefined();
    expect(state.claims).toBe(outcome.ok ? outcome.claims : null);
  });
});
