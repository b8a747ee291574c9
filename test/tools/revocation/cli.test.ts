import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { createRedisStore, createRevocationTable } from "../../../functions/stores/index.ts";
import { createRevocationChecker, revocationKey } from "../../../shared/revocation/index.ts";
import { UsageError } from "../../../tools/cli/command.ts";
import { freePort, startDynalite, startRedisServer, startUpstashBridge, startWorker, type DynaliteServer, type RedisServer, type UpstashBridge } from "../../harness/index.ts";
import { runRepoCli } from "../../harness/repo-cli.ts";

const ISS = "https://cli.test";
// A "revoked before" an hour from now, taken from the real clock: the entry lives as long as real Redis keeps it
const SID_BEFORE = Math.floor(Date.now() / 1000) + 3600;

/** Runs `gatehouse <args>` as the user would, in a child process. Never inherits store env vars. */
const gatehouse = (args: string[], env: Record<string, string> = {}) => runRepoCli(args, env);

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(async () => {
  await redis?.stop();
});

describe("cli: revoke, list and unrevoke against Redis", { timeout: 60_000 }, () => {
  // The three revocations are independent (list and unrevoke below read what they wrote), so they run at once
  it.concurrent("revokes a subject; a checker on the same Redis then denies its tokens", async () => {
    // A token issued before the command runs: a CLI start slowed by a busy machine must not move its iat past the revocation
    const iat = Math.floor(Date.now() / 1000) - 1;
    const run = await gatehouse(["revoke", "--sub", "alice", "--iss", ISS, "--redis", redis.url]);
    expect(run).toMatchObject({ code: 0, stderr: "" });
    expect(run.stdout).toMatch(/^revoked sub `alice` of `https:\/\/cli\.test` in redis 127\.0\.0\.1:\d+: tokens issued before \S+Z are refused; entry expires \S+Z\n$/);
    const store = createRedisStore({ url: redis.url });
    try {
      const checker = createRevocationChecker({ store: { kind: "redis" }, deadlineMs: 2000 }, { store });
      expect(await checker.check({ iss: ISS, sub: "alice", iat })).toMatchObject({ allow: false, revokedBy: "sub" });
    } finally {
      await store.close();
    }
  });

  it.concurrent("revokes a token by jti until its exp, reading the store from `GATEHOUSE_REDIS_URL`", async () => {
    // Real Redis expires by the real clock: the token's exp is a year from now, whatever the date
    const exp = Math.floor(Date.now() / 1000) + 365 * 86_400;
    const run = await gatehouse(["revoke", "--jti", "tok-9", "--iss", ISS, "--exp", new Date(exp * 1000).toISOString(), "--json"], { GATEHOUSE_REDIS_URL: redis.url });
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ kind: "jti", id: "tok-9", key: revocationKey("jti", ISS, "tok-9"), expiresAt: exp });
  });

  it.concurrent("revokes a session and a client with an explicit `--before`", async () => {
    const [sid, client] = await Promise.all([
      gatehouse(["revoke", "--sid", "s-1", "--iss", ISS, "--before", String(SID_BEFORE), "--redis", redis.url]),
      gatehouse(["revoke", "--client", "web", "--iss", ISS, "--redis", redis.url]),
    ]);
    expect(sid.code).toBe(0);
    expect(client.code).toBe(0);
  });

  it("lists revocations as a table and as JSON, filtered by kind", async () => {
    const [table, jti] = await Promise.all([gatehouse(["revocations", "list", "--redis", redis.url]), gatehouse(["revocations", "list", "--kind", "jti", "--json", "--redis", redis.url])]);
    expect(table.code).toBe(0);
    expect(table.stdout.split("\n")[0]).toMatch(/^KIND\s+ISSUER\s+ID\s+FROM\s+EXPIRES$/);
    expect(table.stdout).toMatch(new RegExp(`^sid\\s+https://cli\\.test\\s+s-1\\s+${new Date(SID_BEFORE * 1000).toISOString().replace(".000Z", "Z")}`, "m"));
    const json = JSON.parse(jti.stdout);
    expect(json.map((r: { id: string }) => r.id)).toEqual(["tok-9"]);
  });

  it("unrevokes, after which the entry is gone", async () => {
    const run = await gatehouse(["unrevoke", "--sub", "alice", "--iss", ISS, "--redis", redis.url]);
    expect(run).toMatchObject({ code: 0, stdout: `removed \`${revocationKey("sub", ISS, "alice")}\` from redis 127.0.0.1:${redis.port}\n` });
    const json = JSON.parse((await gatehouse(["revocations", "list", "--kind", "sub", "--json", "--redis", redis.url])).stdout);
    expect(json).toEqual([]);
  });
});

describe("cli: usage errors", () => {
  // Checked in-process (starting a child costs seconds on a loaded box); the one child below
  // shows how main.ts turns a UsageError into exit code 2 and one line on stderr
  const cases: Array<[string, "revoke" | "revocations", string[], RegExp]> = [
    ["no target", "revoke", ["--iss", ISS, "--redis", "redis://x:1"], /name exactly one of `--jti`, `--sub`, `--sid`, `--client`/],
    ["two targets", "revoke", ["--sub", "a", "--jti", "b", "--iss", ISS, "--redis", "redis://x:1"], /exactly one/],
    ["no issuer", "revoke", ["--sub", "a", "--redis", "redis://x:1"], /`--iss` is required/],
    ["no store", "revoke", ["--sub", "a", "--iss", ISS], /no store given/],
    ["two stores", "revoke", ["--sub", "a", "--iss", ISS, "--redis", "redis://x:1", "--dynamodb-table", "t"], /choose one store/],
    ["bad time", "revoke", ["--sub", "a", "--iss", ISS, "--before", "yesterday", "--redis", "redis://x:1"], /`--before` expects Unix seconds or an ISO 8601 date-time, got `yesterday`/],
    ["exp on a subject", "revoke", ["--sub", "a", "--iss", ISS, "--exp", "5", "--redis", "redis://x:1"], /`--exp` applies to `--jti`/],
    ["unknown flag", "revoke", ["--user", "a"], /unknown option `--user`/],
    ["list without `list`", "revocations", ["--redis", "redis://x:1"], /expected `revocations list`/],
    ["bad kind", "revocations", ["list", "--kind", "user", "--redis", "redis://x:1"], /`--kind` expects one of/],
  ];
  for (const [name, commandName, args, message] of cases) {
    it(`refuses ${name} with a UsageError`, async () => {
      const saved = { ...process.env };
      for (const key of Object.keys(process.env)) if (/^(GATEHOUSE_|UPSTASH_)/.test(key)) delete process.env[key];
      try {
        const { command } = await import(`../../../tools/cli/commands/${commandName}.ts`);
        const error = await command.run(args).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(UsageError);
        expect((error as Error).message).toMatch(message);
      } finally {
        Object.assign(process.env, saved);
      }
    });
  }

  // The children below run at once; the in-process cases above stay one at a time (they edit process.env)
  it.concurrent("exits 2 with one line on stderr for a usage error", async () => {
    const run = await gatehouse(["revoke", "--sub", "a", "--redis", redis.url]);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe("gatehouse revoke: `--iss` is required: revocations are kept per issuer, as the token's `iss` claim\n");
  });

  it.concurrent("exits 1 with one line, not a stack trace, when the store is down", async () => {
    const run = await gatehouse(["revoke", "--sub", "a", "--iss", ISS, "--redis", `redis://127.0.0.1:${await freePort()}`]);
    expect(run.code).toBe(1);
    expect(run.stderr.trim().split("\n")).toHaveLength(1);
    expect(run.stderr).toMatch(/^gatehouse: redis 127\.0\.0\.1:\d+: /);
  });

  it.concurrent("never prints a Redis password", async () => {
    const run = await gatehouse(["revoke", "--sub", "a", "--iss", ISS, "--redis", `redis://:hunter2@127.0.0.1:${await freePort()}`]);
    expect(run.stdout + run.stderr).not.toContain("hunter2");
  });
});

// Each store is its own, so these run at once (the Redis group above, which shares Redis with the Upstash bridge, is done)
describe.concurrent("cli: other stores", { timeout: 90_000 }, () => {
  let bridge: UpstashBridge;
  let dynalite: DynaliteServer;
  beforeAll(async () => {
    bridge = await startUpstashBridge(redis.url);
    dynalite = await startDynalite();
    const client = new DynamoDBClient({ region: "local", endpoint: dynalite.endpoint, credentials: { accessKeyId: "x", secretAccessKey: "x" } });
    await createRevocationTable(client, "revocations");
    client.destroy();
  });
  afterAll(async () => {
    await bridge?.stop();
    await dynalite?.stop();
  });

  it("writes through Upstash REST with the token from the environment", async () => {
    const run = await gatehouse(["revoke", "--jti", "up-1", "--iss", ISS, "--upstash-url", bridge.url], { UPSTASH_REDIS_REST_TOKEN: bridge.token });
    expect(run).toMatchObject({ code: 0 });
    const list = JSON.parse((await gatehouse(["revocations", "list", "--json", "--kind", "jti"], { UPSTASH_REDIS_REST_URL: bridge.url, UPSTASH_REDIS_REST_TOKEN: bridge.token })).stdout);
    expect(list.map((r: { id: string }) => r.id)).toContain("up-1");
  });

  it("refuses Upstash without a token", async () => {
    const run = await gatehouse(["revoke", "--jti", "up-2", "--iss", ISS, "--upstash-url", bridge.url]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/`--upstash-token`: expected the Upstash REST token, or `UPSTASH_REDIS_REST_TOKEN` in the environment/);
  });

  it("writes to DynamoDB at a local endpoint and lists it back", async () => {
    const flags = ["--dynamodb-table", "revocations", "--dynamodb-endpoint", dynalite.endpoint];
    expect((await gatehouse(["revoke", "--client", "cli-app", "--iss", ISS, ...flags])).code).toBe(0);
    const list = JSON.parse((await gatehouse(["revocations", "list", "--json", ...flags])).stdout);
    expect(list).toMatchObject([{ kind: "client", id: "cli-app", iss: ISS }]);
    expect((await gatehouse(["unrevoke", "--client", "cli-app", "--iss", ISS, ...flags])).code).toBe(0);
    expect(JSON.parse((await gatehouse(["revocations", "list", "--json", ...flags])).stdout)).toEqual([]);
  });

  it("writes to Miniflare's persisted KV, which a local Worker then reads", async () => {
    const dir = mkdtempSync(join(tmpdir(), "gatehouse-kv-"));
    try {
      const run = await gatehouse(["revoke", "--jti", "kv-1", "--iss", ISS, "--kv-persist", dir, "--kv-namespace", "local-revocations"]);
      expect(run).toMatchObject({ code: 0 });
      const worker = await startWorker({
        script: `export default { async fetch(request, env) { return new Response(await env.REVOCATIONS.get(new URL(request.url).searchParams.get("key"))); } }`,
        extra: { kvNamespaces: { REVOCATIONS: "local-revocations" }, kvPersist: dir },
      });
      try {
        const response = await worker.fetch(`/?key=${encodeURIComponent(revocationKey("jti", ISS, "kv-1"))}`);
        expect(await response.text()).toMatch(/^\d+$/);
      } finally {
        await worker.stop();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
