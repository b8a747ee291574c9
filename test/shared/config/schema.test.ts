// One definition, three faces (issue #15): the `GatehouseConfig` type, the JSON Schema of
// gatehouse.config.json (generated from shared/config/schema.ts) and `validateConfig` must agree.
// Structural mistakes are refused by all three; the stages' cross-field rules (a route name in
// `failModes`, one key source per issuer) only by the validator, which the last group pins down.
import Ajv from "ajv";
import addFormatsModule from "ajv-formats";
import { describe, expect, it } from "vitest";
import { ConfigError } from "../../../shared/errors.ts";
import { defineConfig, validateConfig, type GatehouseConfig } from "../../../shared/config/index.ts";
import type { GatehouseConfigInput } from "../../../shared/config/schema.ts";
import type { RouteSpec } from "../../../shared/routes/types.ts";
import type { IssuerConfig } from "../../../shared/token/config.ts";
import { configJsonSchema } from "../../../tools/package/config-schema.ts";

// --- the type and the schema (compile time: `npm run typecheck` fails if they drift) -------------
type Writable<T> = T extends ReadonlyArray<infer U> ? Writable<U>[] : T extends object ? { -readonly [K in keyof T]: Writable<T[K]> } : T;
type Fits<A, B> = [A] extends [B] ? true : false;
// An issuer's inline keys are jose's `JWK` type; the schema checks only that each key is an object
// with a string `kty`, so the two are compared without them
type WithoutInlineKeys<T> = Omit<T, "token"> & { token: Omit<Writable<GatehouseConfig>["token"], "issuers"> & { issuers: Omit<Writable<GatehouseConfig>["token"]["issuers"][number], "jwks" | "jwksPreload">[] } };
const typeFitsSchema: Fits<WithoutInlineKeys<Writable<GatehouseConfig>>, WithoutInlineKeys<GatehouseConfigInput>> = true;
const schemaFitsType: Fits<GatehouseConfigInput, GatehouseConfig> = true;
// Extra properties pass `Fits`, so the option names are compared too: an option added to the type
// and not to the schema (which the validator would then refuse) fails here
type SameKeys<A, B> = [keyof A] extends [keyof B] ? ([keyof B] extends [keyof A] ? true : false) : false;
type Input = GatehouseConfigInput;
type Config = Required<GatehouseConfig>;
const sameOptions = {
  top: true as SameKeys<Config, Omit<Input, "$schema" | "$comment">>,
  issuer: true as SameKeys<Config["token"]["issuers"][number], Input["token"]["issuers"][number]>,
  token: true as SameKeys<Config["token"], Input["token"]>,
  revocation: true as SameKeys<NonNullable<Config["revocation"]>, NonNullable<Input["revocation"]>>,
  audit: true as SameKeys<NonNullable<Config["audit"]>, NonNullable<Input["audit"]>>,
  claims: true as SameKeys<NonNullable<Config["token"]["issuers"][number]["claims"]>, NonNullable<Input["token"]["issuers"][number]["claims"]>>,
  policyBundle: true as SameKeys<NonNullable<Config["policyBundle"]>, NonNullable<Input["policyBundle"]>>,
} satisfies Record<string, true>;

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => void;
const ajv = new Ajv({ allErrors: true, strict: false });
addFormats(ajv);
const jsonSchemaAccepts = ajv.compile(configJsonSchema());

const ISSUER: IssuerConfig = { issuer: "https://auth.example.com/", audience: "https://api.example.com", algorithms: ["RS256"], jwksUri: "https://auth.example.com/.well-known/jwks.json" };
const HEALTH: RouteSpec = { method: "GET", path: "/health", public: true };
const ORDERS: RouteSpec = { method: "GET", path: "/orders/:id", action: "ReadOrder", resource: { type: "Order", id: "{id}" } };
const base = { token: { issuers: [ISSUER] }, routes: [HEALTH, ORDERS], revocation: null };

// Each is a `GatehouseConfig` (checked by `defineConfig` at compile time)
const VALID: Record<string, GatehouseConfig> = {
  minimal: defineConfig(base),
  "every section, values at their bounds": defineConfig({
    $schema: "./node_modules/gatehouse/dist/lib/gatehouse.config.schema.json",
    $comment: "keys starting with $ are ignored",
    token: { issuers: [{ ...ISSUER, name: "main", clockToleranceSeconds: 300, maxAgeSeconds: 1, typ: "at+jwt", jwksTimeoutMs: 100, jwksCooldownMs: 3_600_000, jwksCacheSeconds: 10, jwksMaxStaleSeconds: 0 }], maxTokenBytes: 512, cache: { maxEntries: 0, ttlSeconds: 3600 } },
    routes: { $comment: "a route file", routes: [HEALTH, { ...ORDERS, name: "read-order", resource: { type: "Order", id: "{id}", attrs: { id: "{id}" } } }] },
    revocation: { store: { kind: "kv", binding: "REVOCATIONS" }, ttlMs: 0, deadlineMs: 10_000, maxStaleMs: 86_400_000, cacheMaxEntries: 1, maxTokenLifetimeSeconds: 60, breaker: { failureThreshold: 1000, cooldownMs: 100 } },
    failMode: "open",
    failModes: { "read-order": "stale", "GET /health": "closed" },
    audit: { clientIp: "hash", clientIpSalt: "0123456789abcdef", claims: ["tenant"], includeQuery: true, allowSampleRate: 0, policyErrorDetail: "message", maxFieldLength: 8192 },
    credential: { cookie: "session", queryParam: null },
    context: { headers: ["x-request-id"] },
    paths: { maxPathLength: 65_536, maxSegments: 1 },
    onForbidError: "deny",
  }),
  "an HMAC issuer with its own claims mapping": defineConfig({
    ...base,
    token: {
      issuers: [
        {
          issuer: "svc",
          audience: null,
          algorithms: ["HS256"],
          secret: "a-shared-secret-of-32-bytes-long!",
          claims: { principalType: "Service", principalIdClaims: ["client_id"], attributes: { tier: { claim: ["meta", "tier"], type: "string", default: "free" } }, parents: null, amrClaim: null, acrClaim: null, scopeClaims: ["scp"] },
        },
      ],
      cache: null,
    },
  }),
  "each store kind": defineConfig({ ...base, revocation: { store: { kind: "upstash", url: "https://eu1.upstash.io", token: "t" } } }),
  "redis store": defineConfig({ ...base, revocation: { store: { kind: "redis", url: "redis://127.0.0.1:6379" } } }),
  "dynamodb store": defineConfig({ ...base, revocation: { store: { kind: "dynamodb", table: "revocations", region: "eu-west-1" } } }),
  "memory store": defineConfig({ ...base, revocation: { store: { kind: "memory" } } }),
  "policy bundles, at their bounds": defineConfig({ ...base, policyBundle: { store: { kind: "redis", url: "redis://127.0.0.1:6379" }, publicKey: { kty: "OKP", crv: "Ed25519", x: "gD8Zpll7LRUw8_FimjL5xcNp6KtdwXj-Xe6Yr_NEg64", kid: "k1" }, pollSeconds: 1, maxBytes: 1024, prefix: "p:" } }),
  "policy bundles off": defineConfig({ ...base, policyBundle: null }),
  "policy bundles in S3": defineConfig({ ...base, policyBundle: { store: { kind: "s3", bucket: "bundles", prefix: "gatehouse/", region: "eu-west-1", endpoint: "http://127.0.0.1:4568", forcePathStyle: true }, publicKey: { kty: "OKP", crv: "Ed25519", x: "gD8Zpll7LRUw8_FimjL5xcNp6KtdwXj-Xe6Yr_NEg64" } } }),
  "a canary rollout and replay facts": defineConfig({
    ...base,
    revocation: { store: { kind: "memory" } },
    audit: { replay: true, clientIp: "keep" },
    rollout: { canary: { share: 0.1, tenants: ["qa"] }, rollback: { maxDenyRate: 0.01, minRequests: 200, windowSeconds: 60, onForbidError: true, shared: { ttlSeconds: 10 } } },
  }),
  "a canary without automatic rollback": defineConfig({ ...base, rollout: { canary: { tenants: ["qa"] }, rollback: null } }),
};

// Refused by the type, the JSON Schema and the validator; `field` is what the ConfigError names
const INVALID: Array<{ name: string; field: string; config: unknown }> = [
  { name: "no token section", field: "token", config: { routes: [HEALTH], revocation: null } },
  { name: "revocation left out (switching it off takes an explicit null)", field: "revocation", config: { token: base.token, routes: [HEALTH] } },
  { name: "an unknown top-level option", field: "tokens", config: { ...base, tokens: {} } },
  { name: "no issuers", field: "token.issuers", config: { ...base, token: { issuers: [] } } },
  { name: "alg none", field: "token.issuers[0].algorithms", config: { ...base, token: { issuers: [{ ...ISSUER, algorithms: ["none"] }] } } },
  { name: "a token cache ttl of 0", field: "token.cache.ttlSeconds", config: { ...base, token: { issuers: [ISSUER], cache: { ttlSeconds: 0 } } } },
  { name: "a fail mode that does not exist", field: "failMode", config: { ...base, failMode: "sometimes" } },
  { name: "a negative revocation ttl", field: "revocation.ttlMs", config: { ...base, revocation: { store: { kind: "memory" }, ttlMs: -1 } } },
  { name: "an unknown store kind", field: "revocation.store.kind", config: { ...base, revocation: { store: { kind: "memcached" } } } },
  { name: "a sample rate above 1", field: "audit.allowSampleRate", config: { ...base, audit: { allowSampleRate: 2 } } },
  { name: "a cookie name that is a number", field: "credential.cookie", config: { ...base, credential: { cookie: 5 } } },
  { name: "33 context headers", field: "context.headers", config: { ...base, context: { headers: Array.from({ length: 33 }, (_, i) => `x-h${i}`) } } },
  { name: "zero path segments", field: "paths.maxSegments", config: { ...base, paths: { maxSegments: 0 } } },
  { name: "onForbidError maybe", field: "onForbidError", config: { ...base, onForbidError: "maybe" } },
  { name: "a policy bundle key that is not Ed25519", field: "policyBundle.publicKey", config: { ...base, policyBundle: { store: { kind: "memory" }, publicKey: { kty: "EC", crv: "P-256", x: "a" } } } },
  { name: "a policy bundle poll of 0 s", field: "policyBundle.pollSeconds", config: { ...base, policyBundle: { store: { kind: "memory" }, publicKey: { kty: "OKP", crv: "Ed25519", x: "gD8Zpll7LRUw8_FimjL5xcNp6KtdwXj-Xe6Yr_NEg64" }, pollSeconds: 0 } } },
  { name: "an S3 revocation store (S3 holds policy bundles only)", field: "revocation.store.kind", config: { ...base, revocation: { store: { kind: "s3", bucket: "b" } } } },
  { name: "an S3 bundle store without its bucket", field: "policyBundle.store.bucket", config: { ...base, policyBundle: { store: { kind: "s3" }, publicKey: { kty: "OKP", crv: "Ed25519", x: "gD8Zpll7LRUw8_FimjL5xcNp6KtdwXj-Xe6Yr_NEg64" } } } },
  { name: "a canary share above 1", field: "rollout.canary.share", config: { ...base, rollout: { canary: { share: 1.5 } } } },
  { name: "a rollback window of 0 s", field: "rollout.rollback.windowSeconds", config: { ...base, rollout: { canary: { share: 0.1 }, rollback: { windowSeconds: 0 } } } },
];

// Meaning the stages check across fields, which a JSON Schema cannot say: the validator refuses,
// the schema lets through (an editor cannot know the route names)
const CROSS_FIELD: Array<{ name: string; field: string; config: unknown }> = [
  { name: "failModes naming a route that does not exist", field: "failModes.GET /nowhere", config: { ...base, failModes: { "GET /nowhere": "open" } } },
  { name: "an issuer with two key sources", field: "token.issuers[0]", config: { ...base, token: { issuers: [{ ...ISSUER, secret: "a-shared-secret-of-32-bytes-long!" }] } } },
  { name: "authorization as a context header", field: "context.headers[0]", config: { ...base, context: { headers: ["authorization"] } } },
  { name: "a canary that selects nobody", field: "rollout.canary", config: { ...base, rollout: { canary: { share: 0 } } } },
];

function refusal(config: unknown): ConfigError | undefined {
  try {
    validateConfig(config);
    return undefined;
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
}

describe("the type, the JSON Schema and the validator agree", () => {
  it("the type fits the schema and the schema fits the type", () => {
    expect([typeFitsSchema, schemaFitsType, ...Object.values(sameOptions)]).toEqual([true, true, true, true, true, true, true, true, true]);
  });

  it.each(Object.entries(VALID))("valid: %s", (_name, config) => {
    expect(refusal(config)).toBeUndefined();
    expect(jsonSchemaAccepts(config), JSON.stringify(jsonSchemaAccepts.errors)).toBe(true);
  });

  it.each(INVALID)("invalid: $name", ({ field, config }) => {
    const error = refusal(config);
    expect(error?.field).toMatch(new RegExp(`^${field.replace(/[[\].]/g, "\\$&")}`));
    // The message keeps naming the field and what was expected
    expect(error?.message).toMatch(/^[^:]+: .*expected/);
    expect(jsonSchemaAccepts(config)).toBe(false);
  });

  it.each(CROSS_FIELD)("cross-field, the validator's alone: $name", ({ field, config }) => {
    expect(refusal(config)?.field).toBe(field);
    expect(jsonSchemaAccepts(config)).toBe(true);
  });

  it("what only the schema checks is refused at start too, naming the field", () => {
    // The stages skip `$` keys; the schema says `$schema` is a string
    const error = refusal({ ...base, $schema: 5 });
    expect(error?.message).toBe("$schema: expected string, got `5`");
    expect(jsonSchemaAccepts({ ...base, $schema: 5 })).toBe(false);
  });
});

describe("the type refuses misuse (npm run typecheck), and so does the validator", () => {
  it("a fail mode that does not exist", () => {
    // @ts-expect-error: `sometimes` is not a fail mode
    expect(refusal(defineConfig({ ...base, failMode: "sometimes" }))?.field).toBe("failMode");
  });

  it("an S3 revocation store", () => {
    // @ts-expect-error: `s3` is a policy bundle store only
    expect(refusal(defineConfig({ ...base, revocation: { store: { kind: "s3", bucket: "b" } } }))?.field).toBe("revocation.store.kind");
  });

  it("a missing revocation section", () => {
    // @ts-expect-error: revocation is required (`null` switches it off)
    expect(refusal(defineConfig({ token: base.token, routes: [HEALTH] }))?.field).toBe("revocation");
  });
});
