// Break-glass through the project's own build paths: `gatehouse build --break-glass DIR` (the real
// CLI) writes the emergency policy module beside the everyday one, and the Lambda entry decides with
// both; `build:lambda --break-glass DIR` bundles it into the function, run in a fresh node process.
// A break-glass token is allowed where the everyday policies deny, its audit line says
// `break_glass: true` (every allow line of everyday tokens sampled away) and EMF counts it; an
// everyday token is decided as before.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createLambdaEntry } from "../../../functions/lambda/main.ts";
import type { CompiledPolicySet } from "../../../shared/policy/index.ts";
import type { RoutesFile } from "../../../shared/routes/index.ts";
import { buildLambda } from "../../../tools/build/lambda.ts";
import { repoRoot } from "../../harness/corpus.ts";
import { EXAMPLE_AUDIENCE, EXAMPLE_ISSUER } from "../../harness/gatehouse-pipeline.ts";
import { createTestKey, mintToken, type TestKey } from "../../harness/tokens.ts";
import { runCli } from "../../tools/cli/cli.ts";
import { loadEvent, retarget } from "./events.ts";

vi.setConfig({ testTimeout: 120_000 });

const GLASS_ISSUER = "https://break-glass.example";
const BREAK_GLASS_PROJECT = join(repoRoot, "examples", "break-glass");
const POLICIES = join(repoRoot, "policies");
let work: string;
let everyday: TestKey;
let glass: TestKey;
let configFile: string;
let config: Record<string, unknown>;
const routes = () => JSON.parse(readFileSync(join(POLICIES, "routes.json"), "utf8")) as RoutesFile;

beforeAll(async () => {
  mkdirSync(join(repoRoot, ".gatehouse"), { recursive: true });
  work = mkdtempSync(join(repoRoot, ".gatehouse", "test-break-glass-lambda-"));
  everyday = await createTestKey("ES256");
  glass = await createTestKey("ES256");
  config = {
    token: {
      issuers: [
        { issuer: EXAMPLE_ISSUER, audience: EXAMPLE_AUDIENCE, algorithms: ["ES256"], jwks: { keys: [everyday.publicJwk] } },
        { issuer: GLASS_ISSUER, name: "break-glass", audience: EXAMPLE_AUDIENCE, algorithms: ["ES256"], jwks: { keys: [glass.publicJwk] }, maxAgeSeconds: 300 },
      ],
    },
    revocation: { store: { kind: "memory" } },
    breakGlass: { issuer: "break-glass", maxLifetimeSeconds: 300 },
    audit: { allowSampleRate: 0 },
  };
  configFile = join(work, "gatehouse.config.json");
  writeFileSync(configFile, JSON.stringify(config));
}, 60_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

const claims = { tenant: "acme", groups: ["viewer"], scope: "orders:read", amr: ["pwd", "mfa"] };
const everydayToken = () => mintToken(everyday, claims, { issuer: EXAMPLE_ISSUER, audience: EXAMPLE_AUDIENCE, subject: "vera", ttlSeconds: 600 });
const glassToken = (extra: Record<string, unknown> = {}, now?: number) => mintToken(glass, { ...claims, ...extra }, { issuer: GLASS_ISSUER, audience: EXAMPLE_AUDIENCE, subject: "oncall-olga", ttlSeconds: 300, ...(now === undefined ? {} : { now }) });
const del = (token: string) => retarget(loadEvent("rest-request", token), "DELETE", "/tenants/acme/orders/o-17");
const read = (token: string) => retarget(loadEvent("rest-request", token), "GET", "/tenants/acme/orders/o-17");
const effect = (answer: any) => (answer.thrown ?? answer.policyDocument.Statement[0].Effect) as string;
const cacheOff = { GATEHOUSE_AUTHORIZER_CACHE_TTL: "0" };

/** Runs `events` through `handler` with stdout captured; the audit lines and EMF documents it wrote. */
async function decide(handler: (event: unknown) => Promise<unknown>, events: unknown[]) {
  const written: string[] = [];
  const spy = vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
    written.push(...String(chunk).split("\n").filter((l) => l !== ""));
    return true;
  });
  const answers: any[] = [];
  try {
    // REST authorizers answer a 401 by throwing `Unauthorized` (API Gateway's convention)
    for (const event of events) answers.push(await handler(event).catch((error: Error) => ({ thrown: error.message })));
  } finally {
    spy.mockRestore();
  }
  const parsed = written.map((l) => JSON.parse(l) as Record<string, any>);
  return { answers, lines: parsed.filter((d) => d._aws === undefined), emf: parsed.filter((d) => d._aws !== undefined) };
}

async function importDefault(file: string): Promise<CompiledPolicySet | null> {
  return ((await import(pathToFileURL(file).href)) as { default: CompiledPolicySet | null }).default;
}

describe("gatehouse build --break-glass, then the Lambda entry", () => {
  it("compiles the emergency set to OUT/break-glass/policies.js; a break-glass token is allowed where the everyday set denies", async () => {
    const out = join(work, "dist");
    const run = await runCli(["build", "--policies", POLICIES, "--out", out, "--config", configFile, "--break-glass", BREAK_GLASS_PROJECT], { cwd: work });
    expect(run.stderr).not.toMatch(/error/);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^built dist\/break-glass\/policies\.js: 1 break-glass policy, version [0-9a-f]{12}$/m);
    const policies = (await importDefault(join(out, "policies.js")))!;
    const breakGlassPolicies = await importDefault(join(out, "break-glass", "policies.js"));
    expect(breakGlassPolicies).not.toBeNull();
    // As the init template's handler does: both modules from dist/, the config bundled
    const handler = await createLambdaEntry({ policies, breakGlassPolicies, routes: routes(), config, env: cacheOff });

    // minted ten minutes ago, so five minutes past its expiry
    const expiredGlass = del(await glassToken({}, Math.floor(Date.now() / 1000) - 600));
    const [everydayDelete, glassDelete, everydayRead, glassWithoutMfa] = [del(await everydayToken()), del(await glassToken()), read(await everydayToken()), read(await glassToken({ amr: ["pwd"] }))];
    const { answers, lines, emf } = await decide(handler, [everydayDelete, glassDelete, everydayRead, glassWithoutMfa, expiredGlass]);
    expect(answers.map(effect)).toEqual(["Deny", "Allow", "Allow", "Deny", "Unauthorized"]);
    // the expired break-glass token stops working: refused before any policy
    expect(lines.at(-1)).toMatchObject({ decision: "deny", decision_reason: "expired" });
    expect(answers[1].principalId).toBe("oncall-olga");

    // Every allow line of everyday tokens is sampled away; the break-glass allow is written all the same
    const glassLines = lines.filter((l) => l.break_glass === true);
    expect(glassLines.map((l) => [l.decision, l.decision_reason])).toEqual([["allow", "allowed"], ["deny", "policy_denied"]]);
    expect(glassLines[0]).toMatchObject({ platform: "lambda", reasons: ["break-glass-read-and-cancel-orders"], sample_rate: 1 });
    // The everyday token: denied by the everyday set as before, no break-glass mark
    const everydayLines = lines.slice(0, -1).filter((l) => l.break_glass === undefined);
    expect(everydayLines.map((l) => [l.decision, l.decision_reason])).toEqual([["deny", "policy_denied"]]);
    // and counted: EMF's BreakGlass metric holds both decisions about break-glass tokens
    expect(emf.reduce((n, d) => n + (d.BreakGlass as number), 0)).toBe(2);
    expect(emf.find((d) => d.BreakGlass === 1 && d.Decision === "allow")).toMatchObject({ Reason: "allowed", Platform: "lambda" });
  });

  it("without --break-glass writes a null module, with which a breakGlass configuration refuses to start", async () => {
    const out = join(work, "dist-plain");
    const run = await runCli(["build", "--policies", POLICIES, "--out", out], { cwd: work });
    expect(run.code).toBe(0);
    expect(run.stdout).not.toContain("break-glass");
    expect(await importDefault(join(out, "break-glass", "policies.js"))).toBeNull();
    const policies = (await importDefault(join(out, "policies.js")))!;
    await expect(createLambdaEntry({ policies, breakGlassPolicies: null, routes: routes(), config, env: cacheOff })).rejects.toThrow(/^breakGlassPolicies: /);
  });

  it("refuses a --config that sets breakGlass without --break-glass, and --break-glass without breakGlass; validate too", async () => {
    const out = join(work, "dist-refused");
    const missing = await runCli(["build", "--policies", POLICIES, "--out", out, "--config", configFile], { cwd: work });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("breakGlass: the config sets it; expected the break-glass policy project as `--break-glass DIR`");
    const plainConfig = join(work, "plain.config.json");
    writeFileSync(plainConfig, JSON.stringify({ ...config, breakGlass: undefined, token: { issuers: [(config.token as { issuers: unknown[] }).issuers[0]] } }));
    const extra = await runCli(["build", "--policies", POLICIES, "--out", out, "--config", plainConfig, "--break-glass", BREAK_GLASS_PROJECT], { cwd: work });
    expect(extra.code).toBe(1);
    expect(extra.stderr).toContain("--break-glass: expected `breakGlass` in the config file");

    const invalid = await runCli(["validate", "--policies", POLICIES, "--config", configFile], { cwd: work });
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toContain("gatehouse validate: breakGlass: the config sets it");
    const valid = await runCli(["validate", "--policies", POLICIES, "--config", configFile, "--break-glass", BREAK_GLASS_PROJECT], { cwd: work });
    expect(valid.stderr).not.toMatch(/error/);
    expect(valid.code).toBe(0);
  });

  it("validate --break-glass reports a broken break-glass project with file:line", async () => {
    const broken = join(work, "broken-glass");
    mkdirSync(broken, { recursive: true });
    writeFileSync(join(broken, "schema.cedarschema"), readFileSync(join(BREAK_GLASS_PROJECT, "schema.cedarschema"), "utf8"));
    writeFileSync(join(broken, "glass.cedar"), '@id("glass")\npermit (principal, action == Action::"NoSuchAction", resource);\n');
    const run = await runCli(["validate", "--policies", POLICIES, "--config", configFile, "--break-glass", broken], { cwd: work });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/glass\.cedar:2/);
    expect(run.stderr).toMatch(/^break-glass validation failed: \d+ errors?$/m);
  });
});

// The child reads the clock the tokens were minted by: under faketime (the suite's date-shift runs), its variables go along
const sameClock = () => Object.fromEntries(Object.entries(process.env).filter(([name]) => name === "LD_PRELOAD" || name.startsWith("FAKETIME")));

describe("build:lambda --break-glass", () => {
  const RUNNER = `
import { writeFileSync } from "node:fs";
const [bundle, resultsFile] = process.argv.slice(2);
const { handler } = await import(bundle);
const results = [];
for (const event of JSON.parse(process.env.EVENTS)) results.push(await handler(event));
writeFileSync(resultsFile, JSON.stringify(results));
`;

  it("bundles the emergency set into the function: allowed in a fresh node process where the everyday set denies", async () => {
    const built = await buildLambda({ configFile, policiesDir: POLICIES, outDir: join(work, "lambda"), breakGlassDir: BREAK_GLASS_PROJECT });
    expect(built.breakGlassPolicyVersion).toMatch(/^[0-9a-f]{64}$/);
    writeFileSync(join(work, "runner.mjs"), RUNNER);
    const resultsFile = join(work, "results.json");
    const events = [del(await everydayToken()), del(await glassToken())];
    const child = spawnSync(process.execPath, [join(work, "runner.mjs"), built.bundleFile, resultsFile], { env: { ...sameClock(), PATH: process.env.PATH, EVENTS: JSON.stringify(events), ...cacheOff }, encoding: "utf8" });
    expect(child.stderr).toBe("");
    expect(child.status).toBe(0);
    expect((JSON.parse(readFileSync(resultsFile, "utf8")) as any[]).map(effect)).toEqual(["Deny", "Allow"]);
    const lines = child.stdout.trim().split("\n").map((l) => JSON.parse(l) as Record<string, any>).filter((l) => l._aws === undefined);
    expect(lines.map((l) => [l.decision, l.break_glass])).toEqual([["deny", undefined], ["allow", true]]);
  });

  it("refuses to bundle a breakGlass configuration without the break-glass project", async () => {
    await expect(buildLambda({ configFile, policiesDir: POLICIES, outDir: join(work, "lambda-refused") })).rejects.toThrow(/breakGlass: the config sets it/);
  });
});
