// The two shape checks every configuration section shares: a plain object, and no option it does
// not know. One wording for each, whichever section refuses.
import { describe, expect, it } from "vitest";
import { expectObject, refuseUnknownOptions } from "../../../shared/config/fields.ts";
import { validateConfig } from "../../../shared/config/index.ts";

// The ConfigError thrown: its field path and its whole message, exactly
const configError = (field: string, message: string) => expect.objectContaining({ name: "ConfigError", field, message });

describe("expectObject", () => {
  it("returns a plain object as it is", () => {
    const value = { a: 1 };
    expect(expectObject(value, "x")).toBe(value);
  });

  const cases: [string, unknown, string][] = [
    ["nothing", undefined, "x: expected an object, got nothing"],
    ["null", null, "x: expected an object, got `null`"],
    ["an array", [1], "x: expected an object, got an array"],
    ["a string", "yes", "x: expected an object, got `yes`"],
    ["a number", 5, "x: expected an object, got `5`"],
    ["a boolean", false, "x: expected an object, got `false`"],
    ["a function", () => 1, "x: expected an object, got `() => 1`"],
  ];
  for (const [title, value, message] of cases) {
    it(`refuses ${title}, naming the field`, () => {
      expect(() => expectObject(value, "x")).toThrow(configError("x", message));
    });
  }

  it("names the expected shape where the section gives one", () => {
    expect(() => expectObject(3, "routes[0]", "a route object")).toThrow(configError("routes[0]", "routes[0]: expected a route object, got `3`"));
  });

  it("leaves a string out of the message for a section that may hold a secret, and shows other values", () => {
    expect(() => expectObject("-----BEGIN PRIVATE KEY-----", "k", "a private JWK", { secret: true })).toThrow(configError("k", "k: expected a private JWK, got a string"));
    expect(() => expectObject([], "k", "a private JWK", { secret: true })).toThrow(configError("k", "k: expected a private JWK, got an array"));
    expect(() => expectObject(7, "k", "a private JWK", { secret: true })).toThrow(configError("k", "k: expected a private JWK, got `7`"));
  });
});

describe("refuseUnknownOptions", () => {
  it("passes known options, and an empty object", () => {
    expect(() => refuseUnknownOptions({ a: 1, b: undefined }, "x", ["a", "b", "c"])).not.toThrow();
    expect(() => refuseUnknownOptions({}, "x", [])).not.toThrow();
  });

  it("names the first unknown option by its path and lists the known ones", () => {
    expect(() => refuseUnknownOptions({ a: 1, ttl: 2, other: 3 }, "x.y", ["a", "ttlMs"])).toThrow(configError("x.y.ttl", "x.y.ttl: unknown option `ttl`; expected one of `a`, `ttlMs`"));
  });

  it("names the key alone at the top level", () => {
    expect(() => refuseUnknownOptions({ tokens: {} }, "", ["token"])).toThrow(configError("tokens", "tokens: unknown option `tokens`; expected one of `token`"));
  });

  it("shows a key with a dot in it whole, since the path alone would read as nesting", () => {
    expect(() => refuseUnknownOptions({ "a.b": 1 }, "x", ["a"])).toThrow(configError("x.a.b", "x.a.b: unknown option `a.b`; expected one of `a`"));
  });

  it("lets `$` annotations through only where the section allows them", () => {
    expect(() => refuseUnknownOptions({ $schema: "s", $comment: "c", a: 1 }, "", ["a"], { annotations: true })).not.toThrow();
    expect(() => refuseUnknownOptions({ $comment: "c" }, "x", ["a"])).toThrow(configError("x.$comment", "x.$comment: unknown option `$comment`; expected one of `a`"));
  });
});

// Each section that checks its shape, through `validateConfig`: the field path and the one wording
describe("every section refuses with the same wording", () => {
  const ISSUER = { issuer: "https://auth.example.com/", audience: "https://api.example.com", algorithms: ["RS256"], jwksUri: "https://auth.example.com/.well-known/jwks.json" };
  const HEALTH = { method: "GET", path: "/health", public: true };
  const base = { token: { issuers: [ISSUER] }, routes: [HEALTH], revocation: null };
  const withIssuer = (extra: Record<string, unknown>) => ({ ...base, token: { issuers: [{ ...ISSUER, ...extra }] } });

  const cases: [string, unknown, string, string][] = [
    ["the configuration itself", [1], "config", "expected an object, got an array"],
    ["a top-level option", { ...base, tokens: {} }, "tokens", "unknown option `tokens`; expected one of `token`, `routes`, `revocation`, `failMode`, `failModes`, `audit`, `credential`, `context`, `paths`, `onForbidError`, `policyBundle`, `rollout`, `metrics`, `breakGlass`, `slo`, `entities`"],
    ["credential", { ...base, credential: [] }, "credential", "expected an object, got an array"],
    ["paths", { ...base, paths: { maxSegment: 3 } }, "paths.maxSegment", "unknown option `maxSegment`; expected one of `maxPathLength`, `maxSegments`"],
    ["token", { ...base, token: { issuers: [ISSUER], ttl: 1 } }, "token.ttl", "unknown option `ttl`; expected one of `issuers`, `maxTokenBytes`, `cache`"],
    ["an issuer", { ...base, token: { issuers: ["https://x"] } }, "token.issuers[0]", "expected an object, got `https://x`"],
    ["a claim attribute", withIssuer({ claims: { attributes: { tier: { claim: ["t"], type: "string", dflt: 1 } } } }), "token.issuers[0].claims.attributes.tier.dflt", "unknown option `dflt`; expected one of `claim`, `type`, `default`"],
    ["discovery", withIssuer({ jwksUri: undefined, discovery: false }), "token.issuers[0].discovery", "expected `true` or an object, got `false`"],
    ["mtls", withIssuer({ mtls: { require: true } }), "token.issuers[0].mtls.require", "unknown option `require`; expected one of `required`"],
    ["revocation", { ...base, revocation: { store: { kind: "memory" }, ttl: 5 } }, "revocation.ttl", "unknown option `ttl`; expected one of `store`, `ttlMs`, `deadlineMs`, `maxStaleMs`, `cacheMaxEntries`, `maxTokenLifetimeSeconds`, `breaker`"],
    ["a revocation store", { ...base, revocation: { store: { kind: "redis", host: "x" } } }, "revocation.store.host", "unknown option `host`; expected one of `kind`, `url`"],
    ["rollout", { ...base, rollout: { canary: null } }, "rollout.canary", "expected an object, got `null`"],
    ["entities", { ...base, entities: { source: "memory" } }, "entities.source", "expected an object, got a string"],
    ["metrics", { ...base, metrics: { enable: true } }, "metrics.enable", "unknown option `enable`; expected one of `enabled`, `namespace`, `binding`, `port`, `otlp`"],
    ["metrics.otlp", { ...base, metrics: { otlp: 5 } }, "metrics.otlp", "expected an object or `null`, got `5`"],
    ["slo", { ...base, slo: { availabilty: 0.99 } }, "slo.availabilty", "unknown option `availabilty`; expected one of `availability`, `latency`, `latencyThresholdMs`, `windowDays`, `revocationAgeSeconds`"],
    ["breakGlass", { ...base, breakGlass: { issuer: "x", maxLifetime: 60 } }, "breakGlass.maxLifetime", "unknown option `maxLifetime`; expected one of `issuer`, `maxLifetimeSeconds`"],
    ["a route", { ...base, routes: ["GET /"] }, "routes[0]", "expected a route object, got `GET /`"],
    ["a route's resource", { ...base, routes: [{ method: "GET", path: "/a", action: "R", resource: { type: "A", id: "x", attr: {} } }] }, "routes[0].resource.attr", "unknown option `attr`; expected one of `type`, `id`, `attrs`"],
  ];
  for (const [title, config, field, expected] of cases) {
    it(`${title}: \`${field}\``, () => {
      expect(() => validateConfig(config)).toThrow(configError(field, `${field}: ${expected}`));
    });
  }

  it("keeps secrets pasted in place of an object out of the message", () => {
    const introspection = { endpoint: "https://auth.example.com/i", clientId: "c", clientAuth: "private_key_jwt", privateKey: "-----BEGIN PRIVATE KEY-----MIIE" };
    const privateKey = "token.issuers[0].introspection.privateKey";
    expect(() => validateConfig({ ...base, token: { issuers: [{ ...ISSUER, audience: null, introspection }] } })).toThrow(configError(privateKey, `${privateKey}: expected a private JWK, got a string`));
    const headers = "metrics.otlp.headers";
    expect(() => validateConfig({ ...base, metrics: { otlp: { headers: "authorization=Bearer s3cr3t" } } })).toThrow(configError(headers, `${headers}: expected an object of header names to string values, got a string`));
    // A store's URL with its password, in place of `{ kind, url }`
    const url = "redis://:hunter2@cache:6379";
    expect(() => validateConfig({ ...base, revocation: { store: url } })).toThrow(configError("revocation.store", "revocation.store: expected an object, got a string"));
    expect(() => validateConfig({ ...base, entities: { source: url } })).toThrow(configError("entities.source", "entities.source: expected an object, got a string"));
  });

  it("lets `$` annotations through at the top level and in a route", () => {
    expect(() => validateConfig({ ...base, $schema: "x", $comment: "y", routes: [{ ...HEALTH, $comment: "ok" }] })).not.toThrow();
  });
});
