// The CLI side of policy bundles (issue #18): `build` writes the IR beside the module, `bundles
// keygen` makes a key the configuration accepts, and `publish`/`rollback` refuse bad input plainly.
// Publishing to real stores is covered end to end in test/functions/{worker,node}/policy-bundle.e2e.test.ts.
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { validateConfig } from "../../../shared/config/index.ts";
import { loadPolicyIr } from "../../../shared/policy/bundle/index.ts";
import { loadPolicyModule } from "../../../tools/compiler/index.ts";
import { projectsForFile, runCli, STACK_TRACE } from "./cli.ts";

const project = projectsForFile();
// Each test spawns the CLI (tsx, cedar-wasm): seconds apiece, more on a loaded machine
vi.setConfig({ testTimeout: 120_000 });

describe.concurrent("gatehouse build and bundles keygen", () => {
  it("build writes dist/policies.ir.json, which decides as dist/policies.js does", async () => {
    const p = project();
    const run = await runCli(["build"], { cwd: p.dir });
    expect(run.code).toBe(0);
    const ir = loadPolicyIr(JSON.parse(readFileSync(join(p.dir, "dist/policies.ir.json"), "utf8")));
    const mod = await loadPolicyModule(readFileSync(join(p.dir, "dist/policies.js"), "utf8"));
    expect(ir.version).toBe(mod.version);
    expect(ir.policies).toEqual(mod.policies);
  });

  it("bundles keygen writes a private key only its owner can read, and prints a public key the config accepts", async () => {
    const p = project();
    const run = await runCli(["bundles", "keygen", "--out", "key.json", "--kid", "ops"], { cwd: p.dir });
    expect(run.code).toBe(0);
    const publicKey = JSON.parse(run.stdout) as Record<string, unknown>;
    expect(publicKey).toMatchObject({ kty: "OKP", crv: "Ed25519", kid: "ops" });
    expect(publicKey.d).toBeUndefined();
    expect(JSON.parse(readFileSync(join(p.dir, "key.json"), "utf8"))).toMatchObject({ kty: "OKP", crv: "Ed25519", d: expect.any(String) });
    expect(statSync(join(p.dir, "key.json")).mode & 0o077).toBe(0);
    const config = validateConfig({ token: { issuers: [{ issuer: "https://i.test", audience: null, algorithms: ["ES256"], jwksUri: "https://i.test/jwks" }] }, routes: [], revocation: null, policyBundle: { store: { kind: "memory" }, publicKey } });
    expect(config.policyBundle?.pollMs).toBe(10_000);
    // never overwrites a key
    expect((await runCli(["bundles", "keygen", "--out", "key.json"], { cwd: p.dir })).code).not.toBe(0);
  });
});

describe.concurrent("gatehouse publish and rollback: user errors", () => {
  it("publish without a key exits 2 with one line", async () => {
    const p = project();
    expect((await runCli(["build"], { cwd: p.dir })).code).toBe(0);
    const run = await runCli(["publish", "--redis", "redis://127.0.0.1:1"], { cwd: p.dir, env: { GATEHOUSE_BUNDLE_KEY_FILE: "" } });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/no signing key: pass `--key FILE`/);
    expect(run.stderr).not.toMatch(STACK_TRACE);
  });

  it("publish refuses an IR that does not load, naming the node, before touching a store", async () => {
    const p = project();
    await runCli(["bundles", "keygen", "--out", "key.json"], { cwd: p.dir });
    writeFileSync(join(p.dir, "bad.ir.json"), JSON.stringify({ format: "gatehouse-policy-ir", formatVersion: 1, version: "ab".repeat(32), onForbidError: "skip", entities: { j: [] }, policies: [{ id: "p" }] }));
    const run = await runCli(["publish", "--ir", "bad.ir.json", "--key", "key.json", "--redis", "redis://127.0.0.1:1"], { cwd: p.dir });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/not a loadable policy IR: \$\.policies\[0\]\.effect: expected `permit` or `forbid`/);
  });

  it("publish refuses a public key as the signing key", async () => {
    const p = project();
    const keygen = await runCli(["bundles", "keygen", "--out", "key.json"], { cwd: p.dir });
    writeFileSync(join(p.dir, "public.json"), keygen.stdout);
    expect((await runCli(["build"], { cwd: p.dir })).code).toBe(0);
    const run = await runCli(["publish", "--key", "public.json", "--redis", "redis://127.0.0.1:1"], { cwd: p.dir });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/expected an Ed25519 private JWK/);
  });

  it("rollback --to refuses a version that is not hex", async () => {
    const p = project();
    const run = await runCli(["rollback", "--to", "latest", "--redis", "redis://127.0.0.1:1"], { cwd: p.dir });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/`--to` expects a version/);
  });
});
