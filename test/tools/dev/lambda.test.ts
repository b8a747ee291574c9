// `gatehouse dev --lambda` as a user runs it (issue #6): a child process, its replay table and
// summary read back. The replay runs on a simulated clock, so each run takes only the start-up time.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { repoRoot } from "../../harness/index.ts";

const POLICIES = join(repoRoot, "policies");
const dirs: string[] = [];

afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly cwd: string;
}

/** `node --import tsx tools/cli/main.ts dev ...args` in a fresh project directory. */
function gatehouseDev(args: string[]): Promise<Run> {
  const cwd = mkdtempSync(join(tmpdir(), "gatehouse-dev-lambda-"));
  dirs.push(cwd);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--no-turbo-inline-js-wasm-calls", "--import", import.meta.resolve("tsx"), join(repoRoot, "tools/cli/main.ts"), "dev", ...args], {
      cwd, env: { ...process.env, NO_COLOR: "1" }, stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr, cwd }));
  });
}

/** The replay table's rows: [time, request label, cache, client, authorizer]. */
function rows(stdout: string): string[][] {
  return stdout
    .split("\n")
    .filter((line) => /^\s+\d+\.\d  /.test(line))
    .map((line) => {
      const m = /^\s+(\d+\.\d)  (.{36})  (\S+(?: #\d+)?)\s+(\S+)\s+(\S+)/.exec(line);
      if (!m) throw new Error(`unexpected row: ${line}`);
      return [m[1], m[2].trim(), m[3], m[4], m[5]];
    });
}

describe("gatehouse dev --lambda: the default REST REQUEST authorizer, TTL 60 s", () => {
  it("replays allow, deny and a revocation through the cache and explains what happened", async () => {
    const run = await gatehouseDev(["--lambda", "--policies", POLICIES]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^created the dev signing key .*dev-key\.json \(ES256, kid dev-[0-9a-f]{8}\)$/m);
    expect(existsSync(join(run.cwd, ".gatehouse", "dev-key.json"))).toBe(true);
    expect(run.stdout).toContain("result TTL 60 s, cache key: method.request.header.Authorization, context.httpMethod, context.path");
    expect(rows(run.stdout)).toEqual([
      ["0.0", "GET /tenants/acme/orders/o-17", "miss", "allow", "allow"],
      ["1.0", "DELETE /tenants/acme/orders/o-17", "miss", "deny", "deny"],
      ["2.0", "GET /tenants/acme/orders/o-17", "hit #0", "allow", "allow"],
      ["10.0", "revoked at 10 s", "hit #0", "allow", "unauthorized"],
      ["60.0", "GET /tenants/acme/orders/o-17", "hit #0", "allow", "unauthorized"],
      ["60.0", "after the TTL", "miss", "unauthorized", "unauthorized"],
    ]);
    expect(run.stdout).toContain("6 requests: 3 answered from API Gateway's cache without calling the authorizer, 3 called it.");
    expect(run.stdout).toContain("No cached answer allowed another method or path that a fresh decision denies (0 leaks)");
    expect(run.stdout).toContain("The denied request (DELETE /tenants/acme/orders/o-17) stayed denied: the client got `deny`.");
    expect(run.stdout).toContain("The revocation at 10.0 s reached clients at 60.0 s, 50.0 s later");
    expect(run.stdout).toContain("(2 stale allows)");
    expect(run.stdout).toContain("after the TTL (60 s) plus Gatehouse's revocation cache");
  }, 60_000);
});

describe("gatehouse dev --lambda: other settings", () => {
  it.concurrent("--ttl 300 --kind http_simple: the revocation takes until 300 s; HTTP API denies with 403, not 401", async () => {
    const run = await gatehouseDev(["--lambda", "--ttl", "300", "--kind", "http_simple", "--policies", POLICIES]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("result TTL 300 s, cache key: $request.header.Authorization, $context.httpMethod, $context.path");
    const table = rows(run.stdout);
    expect(table.at(-1)).toEqual(["300.0", "after the TTL", "miss", "deny", "deny"]);
    expect(table.filter((r) => r[3] === "allow" && r[4] !== "allow")).toHaveLength(2);
    expect(run.stdout).toContain("The revocation at 10.0 s reached clients at 300.0 s, 290.0 s later");
  }, 60_000);

  it.concurrent("--kind rest_token: keyed by the token alone, the cached policy still names only the GET", async () => {
    const run = await gatehouseDev(["--lambda", "--kind", "rest_token", "--policies", POLICIES]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("cache key: the token alone (TOKEN authorizer)");
    expect(rows(run.stdout)[1]).toEqual(["1.0", "DELETE /tenants/acme/orders/o-17", "hit #0", "deny", "deny"]);
    expect(run.stdout).toContain("stayed denied: the client got `deny`, from the cached policy, which names only the GET.");
    expect(run.stdout).toContain("(0 leaks)");
  }, 60_000);

  it.concurrent("--ttl 0: nothing is cached and the revocation reaches clients at once", async () => {
    const run = await gatehouseDev(["--lambda", "--ttl", "0", "--policies", POLICIES]);
    expect(run.code).toBe(0);
    expect(rows(run.stdout).map((r) => r[2])).toEqual(["miss", "miss", "miss", "miss", "miss", "miss"]);
    expect(rows(run.stdout)[3]).toEqual(["10.0", "revoked at 10 s", "miss", "unauthorized", "unauthorized"]);
    expect(run.stdout).toContain("6 requests: 0 answered from API Gateway's cache");
    expect(run.stdout).toContain("The revocation at 10.0 s reached clients at once");
  }, 60_000);
});

describe("gatehouse dev --lambda: usage and configuration errors", () => {
  it.each([
    [["--lambda", "--ttl", "abc"], /--ttl: expected whole seconds from 0 to 3600, got `abc`/],
    [["--lambda", "--ttl", "3601"], /--ttl: expected whole seconds from 0 to 3600, got `3601`/],
    [["--lambda", "--kind", "websocket"], /--kind: expected one of `rest_token`, `rest_request`, `http_simple`, got `websocket`/],
    [["--lambda", "--port", "9000"], /--port does not go with --lambda/],
    [["--lambda", "--shadow", "candidate"], /--shadow does not go with --lambda/],
    [["--ttl", "60"], /--ttl and --kind go with --lambda/],
  ])("%j exits 2 naming the flag", async (args, message) => {
    const run = await gatehouseDev(args);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(run.stdout).toBe("");
  }, 30_000);

  it("a directory without a policy project exits 1 naming --policies", async () => {
    const run = await gatehouseDev(["--lambda", "--policies", "nowhere"]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/--policies: expected a policy project with `routes\.json`, got `.*nowhere`/);
  }, 30_000);
});
