import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { decodeProtectedHeader, importJWK, jwtVerify, type JWK } from "jose";
import { describe, expect, it, vi } from "vitest";
import { DEV_AUDIENCE, DEV_ISSUER } from "../../../tools/dev-key/index.ts";
import { projectsForFile, runCli } from "./cli.ts";

// Each test spawns the CLI (tsx, cedar-wasm): seconds apiece, more on a loaded machine
vi.setConfig({ testTimeout: 120_000 });

// Each test has its own (empty) project folder, so the tests of a group run concurrently
const project = projectsForFile({});

describe.concurrent("gatehouse token", () => {
  it("mints a token signed with the dev key that verifies with its public half", async () => {
    const p = project();
    const run = await runCli(["token", "--sub", "alice", "--groups", "editor", "--tenant", "acme", "--scope", "orders:read", "--amr", "mfa", "--ttl", "1h"], { cwd: p.dir });
    expect(run.code).toBe(0);
    expect(run.stderr.trim()).toBe("gatehouse token: created dev key `.gatehouse/dev-key.json`");
    const token = run.stdout.trim();
    const jwk = JSON.parse(readFileSync(join(p.dir, ".gatehouse/dev-key.json"), "utf8")) as JWK;
    const publicJwk = { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y };
    const { payload } = await jwtVerify(token, await importJWK(publicJwk, "ES256"), { issuer: DEV_ISSUER, audience: DEV_AUDIENCE });
    expect(payload).toMatchObject({ sub: "alice", groups: ["editor"], tenant: "acme", scope: "orders:read", amr: ["mfa"] });
    expect(payload.exp! - payload.iat!).toBe(3600);
    expect(decodeProtectedHeader(token)).toEqual({ alg: "ES256", kid: jwk.kid, typ: "JWT" });
  });

  it("reuses the key on later runs, and --claim adds typed claims", async () => {
    const p = project();
    await runCli(["token", "--sub", "a"], { cwd: p.dir });
    const kid = (JSON.parse(readFileSync(join(p.dir, ".gatehouse/dev-key.json"), "utf8")) as JWK).kid;
    const run = await runCli(["token", "--sub", "b", "--claim", "suspended=true", "--scope", "a,b", "--scope", "c"], { cwd: p.dir });
    expect(run.stderr).toBe("");
    const token = run.stdout.trim();
    expect(decodeProtectedHeader(token).kid).toBe(kid);
    const payload = JSON.parse(Buffer.from(token.split(".")[1], "base64url").toString("utf8"));
    expect(payload).toMatchObject({ sub: "b", suspended: true, scope: "a b c" });
  });

  it("without --sub is a usage error", async () => {
    const run = await runCli(["token", "--groups", "x"], { cwd: project().dir });
    expect(run.code).toBe(2);
    expect(run.stderr.trim()).toBe("gatehouse token: missing `--sub`: the token needs a subject");
  });

  it("a ttl out of bounds is a usage error naming the flag", async () => {
    const run = await runCli(["token", "--sub", "a", "--ttl", "30d"], { cwd: project().dir });
    expect(run.code).toBe(2);
    expect(run.stderr.trim()).toBe("gatehouse token: --ttl: expected a duration such as `90s`, `15m` or `1h` from 1s to 604800s, got `30d`");
  });
});

describe.concurrent("gatehouse token: security", () => {
  it("writes the private key readable by the owner only", async () => {
    const p = project();
    await runCli(["token", "--sub", "a"], { cwd: p.dir });
    expect(statSync(join(p.dir, ".gatehouse/dev-key.json")).mode & 0o777).toBe(0o600);
  });

  it("refuses to override the registered claims it sets itself", async () => {
    const run = await runCli(["token", "--sub", "a", "--claim", "exp=99999999999"], { cwd: project().dir });
    expect(run.code).toBe(2);
    expect(run.stderr.trim()).toBe("gatehouse token: --claim: `exp` is set by the command itself");
  });

  it("a corrupt key file is an error naming the file, and the file is left alone", async () => {
    const p = project();
    p.write(".gatehouse/dev-key.json", '{"kty":"oct","k":"c2VjcmV0"}');
    const run = await runCli(["token", "--sub", "a"], { cwd: p.dir });
    expect(run.code).toBe(1);
    expect(run.stderr.trim()).toBe("gatehouse token: .gatehouse/dev-key.json: expected a private ES256 JWK with `kid` (delete the file to generate a new one)");
    expect(run.stdout).toBe("");
    expect(readFileSync(join(p.dir, ".gatehouse/dev-key.json"), "utf8")).toBe('{"kty":"oct","k":"c2VjcmV0"}');
  });
});
