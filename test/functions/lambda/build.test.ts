// `npm run build:lambda`'s artifact, run the way Lambda runs it: a fresh `node` process imports the
// built ES module and calls `handler` with the AWS-documented events.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildLambda, type BuildLambdaResult } from "../../../tools/build/lambda.ts";
import { repoRoot } from "../../harness/corpus.ts";
import { EXAMPLE_AUDIENCE, EXAMPLE_ISSUER } from "../../harness/gatehouse-pipeline.ts";
import { createTestKey, mintToken, type TestKey } from "../../harness/tokens.ts";
import { ALL_FEATURES, expectFeaturesLeftOut } from "../../harness/feature-markers.ts";
import { loadEvent, retarget } from "./events.ts";

const RUNNER = `
import { writeFileSync } from "node:fs";
const [bundle, eventsFile, resultsFile] = process.argv.slice(2);
const { handler } = await import(bundle);
const results = [];
for (const event of JSON.parse(process.env.EVENTS ?? "null") ?? []) {
  try { results.push({ answer: await handler(event) }); } catch (error) { results.push({ thrown: String(error?.message ?? error) }); }
}
writeFileSync(resultsFile, JSON.stringify(results));
`;

let work: string;
let built: BuildLambdaResult;
let key: TestKey;

beforeAll(async () => {
  mkdirSync(join(repoRoot, ".gatehouse"), { recursive: true });
  work = mkdtempSync(join(repoRoot, ".gatehouse", "test-build-lambda-"));
  key = await createTestKey("ES256");
  writeFileSync(join(work, "config.json"), JSON.stringify({
    token: { issuers: [{ issuer: EXAMPLE_ISSUER, audience: EXAMPLE_AUDIENCE, algorithms: ["ES256"], jwks: { keys: [key.publicJwk] } }] },
    revocation: { store: { kind: "memory" } },
  }));
  writeFileSync(join(work, "runner.mjs"), RUNNER);
  built = await buildLambda({ configFile: join(work, "config.json"), policiesDir: join(repoRoot, "policies"), outDir: join(work, "out") });
}, 120_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

function run(events: unknown[], env: Record<string, string> = {}) {
  const resultsFile = join(work, `results-${Math.random().toString(36).slice(2)}.json`);
  const child = spawnSync(process.execPath, [join(work, "runner.mjs"), built.bundleFile, "", resultsFile], {
    env: { PATH: process.env.PATH, EVENTS: JSON.stringify(events), ...env }, encoding: "utf8",
  });
  const results = child.status === 0 ? (JSON.parse(readFileSync(resultsFile, "utf8")) as Array<{ answer?: any; thrown?: string }>) : [];
  return { status: child.status, stdout: child.stdout, stderr: child.stderr, results };
}

describe("the built function", () => {
  it("writes one entry module, loaded chunks and a zip holding them", () => {
    expect(built.bundleFile).toBe(join(work, "out", "index.mjs"));
    const listing = execFileSync("python3", ["-c", "import sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); assert z.testzip() is None; print('\\n'.join(i.filename + ' ' + oct(i.external_attr >> 16) for i in z.infolist()))", built.zipFile], { encoding: "utf8" });
    expect(listing).toContain("index.mjs 0o100644");
    // One chunk per store kind the registry loads lazily (#16)
    for (const kind of ["upstash", "redis", "dynamodb"]) expect(listing).toMatch(new RegExp(`chunks/${kind}-[A-Z0-9]+\\.mjs`));
    const unpacked = execFileSync("python3", ["-c", "import sys, zipfile; sys.stdout.buffer.write(zipfile.ZipFile(sys.argv[1]).read('index.mjs'))", built.zipFile]);
    expect(unpacked.equals(readFileSync(built.bundleFile))).toBe(true);
    expect(built.policyVersion).toMatch(/^[0-9a-f]{64}$/);
  });
  it("keeps the entry module free of the store clients (AWS SDK, ioredis, Upstash)", () => {
    const entry = readFileSync(built.bundleFile, "utf8");
    // The registry names the kinds (`upstash`) in the entry; the clients' code stays in their chunks
    expect(entry).not.toMatch(/DynamoDBClient|@aws-sdk|ioredis|@upstash\/redis|UPSTASH_DISABLE_TELEMETRY/i);
  });
  it("decides the AWS-documented events in a fresh node process", async () => {
    const token = await mintToken(key, { tenant: "acme", groups: ["viewer"], scope: "orders:read", amr: ["pwd"] }, { issuer: EXAMPLE_ISSUER, audience: EXAMPLE_AUDIENCE, subject: "vera", ttlSeconds: 600 });
    const events: any[] = [
      loadEvent("rest-token", token),
      loadEvent("rest-request", token),
      loadEvent("http-v2", token),
      retarget(loadEvent("rest-request", token), "DELETE", "/tenants/acme/orders/o-17"),
      loadEvent("rest-token", "not-a-jwt"),
      { type: "REQUEST", headers: null },
      "garbage",
    ];
    const { status, stdout, stderr, results } = run(events);
    expect(stderr).toBe("");
    expect(status).toBe(0);
    expect(results[0].answer.policyDocument.Statement).toEqual([{ Action: "execute-api:Invoke", Effect: "Allow", Resource: [events[0].methodArn] }]);
    expect(results[0].answer.principalId).toBe("vera");
    expect(results[1].answer.policyDocument.Statement[0]).toMatchObject({ Effect: "Allow", Resource: [events[1].methodArn] });
    expect(results[2].answer).toMatchObject({ isAuthorized: true, context: { reason: "allowed" } });
    expect(results[3].answer.policyDocument.Statement[0]).toMatchObject({ Effect: "Deny", Resource: [events[3].methodArn] });
    expect(results.slice(4)).toEqual([{ thrown: "Unauthorized" }, { thrown: "Unauthorized" }, { thrown: "Unauthorized" }]);
    const all = stdout.trim().split("\n").map((line) => JSON.parse(line));
    // Beside the audit lines, one EMF metrics document per invocation (one label set each)
    expect(all.filter((l) => l._aws !== undefined)).toHaveLength(7);
    const lines = all.filter((l) => l._aws === undefined);
    // One line per invocation, the two malformed events included (#21)
    expect(lines).toHaveLength(7);
    expect(lines.map((l) => [l.platform, l.decision])).toEqual([["lambda", "allow"], ["lambda", "allow"], ["lambda", "allow"], ["lambda", "deny"], ["lambda", "deny"], ["lambda", "deny"], ["lambda", "deny"]]);
    expect(lines.slice(5).map((l) => l.decision_reason)).toEqual(["malformed_event", "malformed_event"]);
    expect(stdout).not.toContain(token);
  });
  it("takes GATEHOUSE_CONFIG over the bundled configuration", async () => {
    const other = await createTestKey("ES256");
    const config = { token: { issuers: [{ issuer: "https://other.example", audience: "api", algorithms: ["ES256"], jwks: { keys: [other.publicJwk] } }] }, revocation: null };
    const token = await mintToken(other, { tenant: "acme", groups: ["viewer"], scope: "orders:read" }, { issuer: "https://other.example", audience: "api", subject: "vera" });
    const { results } = run([loadEvent("http-v2", token)], { GATEHOUSE_CONFIG: JSON.stringify(config) });
    expect(results[0].answer).toMatchObject({ isAuthorized: true });
  });
  it.each([
    ["GATEHOUSE_CONFIG", { GATEHOUSE_CONFIG: "{not json" }],
    ["GATEHOUSE_HTTP_API_CACHE", { GATEHOUSE_HTTP_API_CACHE: "sometimes" }],
    ["token.issuers", { GATEHOUSE_CONFIG: JSON.stringify({ token: { issuers: [] }, revocation: null }) }],
    // Only the schema refuses this one: the bundled configuration's build-time check does not cover the environment's
    ["$schema", { GATEHOUSE_CONFIG: JSON.stringify({ $schema: 5, token: { issuers: [{ issuer: "https://other.example", audience: "api", algorithms: ["ES256"], jwksUri: "https://other.example/jwks" }] }, revocation: null }) }],
  ])("fails the init, naming `%s`, when the configuration is bad", (field, env) => {
    const { status, stderr } = run([], env);
    expect(status).not.toBe(0);
    expect(stderr).toContain(`ConfigError`);
    expect(stderr).toContain(field);
  });
  it("fails the init, naming the field, when the bundled configuration fails the schema the build holds it against", async () => {
    const config = JSON.parse(readFileSync(join(work, "config.json"), "utf8"));
    writeFileSync(join(work, "config-bad-schema.json"), JSON.stringify({ ...config, $schema: 5 }));
    const bad = await buildLambda({ configFile: join(work, "config-bad-schema.json"), policiesDir: join(repoRoot, "policies"), outDir: join(work, "bad-schema") });
    const child = spawnSync(process.execPath, [join(work, "runner.mjs"), bad.bundleFile, "", join(work, "unused.json")], { env: { PATH: process.env.PATH }, encoding: "utf8" });
    expect(child.status).not.toBe(0);
    expect(child.stderr).toContain("ConfigError");
    expect(child.stderr).toContain("$schema: expected string, got `5`");
  }, 60_000);
});

// The bundle carries only the optional features its configuration names (tools/build/features.ts)
describe("the feature-gated build", () => {
  const issuer = () => ({ issuer: EXAMPLE_ISSUER, audience: EXAMPLE_AUDIENCE, algorithms: ["ES256"], jwks: { keys: [key.publicJwk] } });
  it("leaves out every optional feature the bundled configuration does not name, and is smaller than a build with all", async () => {
    expect(built.features).toEqual([]);
    const all = await buildLambda({ configFile: join(work, "config.json"), policiesDir: join(repoRoot, "policies"), outDir: join(work, "all"), features: "all" });
    expect(all.features).toEqual(ALL_FEATURES);
    expectFeaturesLeftOut({ file: built.bundleFile, gzipBytes: built.gzipBytes }, { file: all.bundleFile, gzipBytes: all.gzipBytes });
  }, 120_000);

  it.each([
    ["entities", { entities: { source: { kind: "memory" } } }, {}],
    ["policyBundle", { policyBundle: { store: { kind: "memory" }, publicKey: { kty: "OKP", crv: "Ed25519", x: "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo" } } }, {}],
    ["rollout", { rollout: { canary: { share: 0.1 } } }, {}],
    ["token.issuers[0].introspection", {}, { introspection: { endpoint: "https://auth.example/introspect", clientId: "gatehouse", clientAuth: "client_secret_basic", clientSecret: "secret" } }],
    ["token.issuers[0].discovery", {}, { discovery: true, jwks: undefined }],
  ])("fails the init, naming `%s`, when the configuration names a feature the bundle was built without", (field, sections, issuerChanges) => {
    const config = { token: { issuers: [{ ...issuer(), ...issuerChanges }] }, revocation: null, ...sections };
    const { status, stderr } = run([], { GATEHOUSE_CONFIG: JSON.stringify(config) });
    expect(status).not.toBe(0);
    expect(stderr).toContain("ConfigError");
    expect(stderr).toContain(`${field}: the configuration sets it`);
    expect(stderr).toContain("this bundle was built without");
  });
});
