// Regression for #21 (defect 8): each adapter validates the whole configuration before it builds any
// store, key set or sink, so a broken config is reported by the field at fault, never by a store factory.
import { afterEach, describe, expect, it, vi } from "vitest";
import { createLambdaEntry } from "../../functions/lambda/main.ts";
import { startFromEnv } from "../../functions/node/main.ts";
import { ConfigError } from "../../shared/errors.ts";
import { lazyAuthorizer } from "../../shared/middleware/index.ts";
import { exampleRoutes } from "../shared/pipeline/fixtures.ts";

const token = { issuers: [{ issuer: "https://idp.example.test/", audience: "api", algorithms: ["ES256"], jwks: { keys: [{ kty: "EC", crv: "P-256", x: "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU", y: "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0" }] } }] };
const noPolicies = { evaluate: () => ({ decision: "deny", reasons: [], errors: [] }), version: "test" } as never;

// A store kind nobody ships, and a store that is fine but whose factory would fail (no url) beside a broken token section
const unknownKind = { token, routes: exampleRoutes, revocation: { store: { kind: "memcached" } } };
const brokenTokenBesideStore = (store: Record<string, unknown>) => ({ token: { issuers: [{ ...token.issuers[0], algorithms: [] }] }, routes: exampleRoutes, revocation: { store } });

async function rejected(run: () => Promise<unknown>): Promise<ConfigError> {
  try {
    await run();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error("expected a ConfigError");
}

const VALID_KINDS = /expected one of `memory`, `upstash`, `redis`, `kv`, `dynamodb`, `http`, got `memcached`/;

describe("the whole configuration is validated before any store is built (#21)", () => {
  afterEach(() => vi.restoreAllMocks());

  it("forward-auth server: an unknown store kind lists the valid kinds", async () => {
    const error = await rejected(() => startFromEnv({ GATEHOUSE_CONFIG: JSON.stringify(unknownKind), GATEHOUSE_PROXY: "nginx", PORT: "0" }));
    expect(error.field).toBe("revocation.store.kind");
    expect(error.message).toMatch(VALID_KINDS);
  });

  it("forward-auth server: a broken token section is named even when the store could not be built", async () => {
    const error = await rejected(() => startFromEnv({ GATEHOUSE_CONFIG: JSON.stringify(brokenTokenBesideStore({ kind: "redis" })), GATEHOUSE_PROXY: "nginx", PORT: "0" }));
    expect(error.field).toMatch(/^token\.issuers\[0\]\.algorithms/);
  });

  it("Lambda: an unknown store kind lists the valid kinds", async () => {
    const error = await rejected(() => createLambdaEntry({ policies: noPolicies, routes: exampleRoutes, config: unknownKind, env: {} }));
    expect(error.field).toBe("revocation.store.kind");
    expect(error.message).toMatch(VALID_KINDS);
  });

  it("Lambda: a broken token section is named even when the store could not be built", async () => {
    const error = await rejected(() => createLambdaEntry({ policies: noPolicies, routes: exampleRoutes, config: brokenTokenBesideStore({ kind: "dynamodb" }), env: {} }));
    expect(error.field).toMatch(/^token\.issuers\[0\]\.algorithms/);
  });

  it("Worker: a broken token section is logged, not the KV binding the store would need", () => {
    const logged: string[] = [];
    vi.spyOn(console, "error").mockImplementation((line: string) => void logged.push(line));
    const built: string[] = [];
    const authorizerFor = lazyAuthorizer(brokenTokenBesideStore({ kind: "kv", binding: "MISSING" }) as never, () => {
      built.push("deps");
      return { policies: noPolicies };
    });
    expect(authorizerFor({})).toBeUndefined();
    expect(built).toEqual([]);
    expect(logged.join("\n")).toMatch(/token\.issuers\[0\]\.algorithms/);
    expect(logged.join("\n")).not.toMatch(/revocation\.store\.binding/);
  });

});
