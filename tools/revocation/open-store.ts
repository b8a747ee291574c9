import { UsageError } from "../cli/command.ts";
import type { KvNamespaceLike } from "../../shared/revocation/stores/kv.ts";
import type { RevocationStore } from "../../shared/revocation/store.ts";

// Each store's client loads only when its flag is used: ioredis, the AWS SDK and Upstash are
// optional peers of the installed package, and `gatehouse --help` loads every command (#15)

/** The store-selection flags shared by `revoke`, `unrevoke` and `revocations`, for `parseCommandArgs`. */
export const storeFlags = {
  redis: { type: "string" },
  "upstash-url": { type: "string" },
  "upstash-token": { type: "string" },
  "dynamodb-table": { type: "string" },
  "dynamodb-endpoint": { type: "string" },
  region: { type: "string" },
  "kv-persist": { type: "string" },
  "kv-namespace": { type: "string" },
} as const;

/** Usage lines for the flags above. */
export const storeUsage = `store (exactly one; flags win over the environment):
  --redis URL                  Redis over TCP            env GATEHOUSE_REDIS_URL
  --upstash-url URL            Upstash REST              env UPSTASH_REDIS_REST_URL
    --upstash-token TOKEN        (prefer the env var)    env UPSTASH_REDIS_REST_TOKEN
  --dynamodb-table NAME        DynamoDB table            env GATEHOUSE_REVOCATION_TABLE
    --dynamodb-endpoint URL      local endpoint          env GATEHOUSE_DYNAMODB_ENDPOINT
    --region REGION                                      env AWS_REGION
  --kv-persist DIR             Miniflare's persisted KV (local dev, e.g. .wrangler/state/v3)
    --kv-namespace ID            namespace id, default REVOCATIONS`;

type StoreFlagValues = { [K in keyof typeof storeFlags]?: string | undefined };

/** An opened store and how to release it. */
export interface OpenedStore {
  readonly store: RevocationStore;
  /** e.g. `redis 127.0.0.1:6379`; never includes a password or token. */
  readonly description: string;
  close(): Promise<void>;
}

/** Opens the one store the flags (or, failing those, the environment) name; `UsageError` otherwise. */
export async function openStore(values: StoreFlagValues, env: NodeJS.ProcessEnv = process.env): Promise<OpenedStore> {
  const chosen = [
    values.redis !== undefined && "--redis",
    values["upstash-url"] !== undefined && "--upstash-url",
    values["dynamodb-table"] !== undefined && "--dynamodb-table",
    values["kv-persist"] !== undefined && "--kv-persist",
  ].filter((flag): flag is string => flag !== false);
  if (chosen.length > 1) throw new UsageError(`choose one store, got ${chosen.map((f) => `\`${f}\``).join(" and ")}`);

  let kind = chosen[0];
  if (kind === undefined) {
    const fromEnv = [
      env.GATEHOUSE_REDIS_URL && "--redis",
      env.UPSTASH_REDIS_REST_URL && "--upstash-url",
      env.GATEHOUSE_REVOCATION_TABLE && "--dynamodb-table",
      env.GATEHOUSE_KV_PERSIST && "--kv-persist",
    ].filter((flag): flag is string => typeof flag === "string");
    if (fromEnv.length !== 1) {
      throw new UsageError(
        fromEnv.length === 0 ? "no store given: pass `--redis`, `--upstash-url`, `--dynamodb-table` or `--kv-persist`" : "several stores set in the environment: pass one store flag",
      );
    }
    kind = fromEnv[0];
  }

  switch (kind) {
    case "--redis": {
      const url = values.redis ?? env.GATEHOUSE_REDIS_URL ?? "";
      if (!/^rediss?:\/\//.test(url)) throw new UsageError("`--redis` expects a `redis://` or `rediss://` url");
      const { createRedisStore } = await import("../../functions/stores/redis.ts");
      const store = createRedisStore({ url });
      const { hostname, port } = new URL(url);
      return { store, description: `redis ${hostname}:${port || 6379}`, close: () => store.close() };
    }
    case "--upstash-url": {
      const url = values["upstash-url"] ?? env.UPSTASH_REDIS_REST_URL ?? "";
      const token = values["upstash-token"] ?? env.UPSTASH_REDIS_REST_TOKEN;
      if (!/^https?:\/\//.test(url)) throw new UsageError("`--upstash-url` expects an `https://` url");
      if (!token) throw new UsageError("upstash needs a token: set `UPSTASH_REDIS_REST_TOKEN` or pass `--upstash-token`");
      const { createUpstashStore } = await import("../../shared/revocation/stores/upstash.ts");
      return { store: createUpstashStore({ url, token }), description: `upstash ${new URL(url).host}`, close: async () => {} };
    }
    case "--dynamodb-table": {
      const table = values["dynamodb-table"] ?? env.GATEHOUSE_REVOCATION_TABLE ?? "";
      const endpoint = values["dynamodb-endpoint"] ?? env.GATEHOUSE_DYNAMODB_ENDPOINT;
      const region = values.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? (endpoint ? "local" : undefined);
      if (!region) throw new UsageError("dynamodb needs a region: pass `--region` or set `AWS_REGION`");
      // A local endpoint (dynalite, DynamoDB Local) checks no signature; don't make the user invent keys
      const credentials = endpoint && !env.AWS_ACCESS_KEY_ID && !env.AWS_PROFILE ? { accessKeyId: "local", secretAccessKey: "local" } : undefined;
      const { createDynamoDbStore } = await import("../../functions/stores/dynamodb.ts");
      const store = createDynamoDbStore({ table, region, endpoint, credentials });
      return { store, description: `dynamodb table ${table}`, close: () => store.close() };
    }
    default: {
      const dir = values["kv-persist"] ?? env.GATEHOUSE_KV_PERSIST ?? "";
      const namespaceId = values["kv-namespace"] ?? "REVOCATIONS";
      // Miniflare keeps a persisted KV namespace in `DIR/kv/<id>`; opening it with the same
      // directory and id is how `wrangler dev` and the local Worker see this write
      const [{ Miniflare }, { createKvStore }] = await Promise.all([import("miniflare"), import("../../shared/revocation/stores/kv.ts")]);
      const mf = new Miniflare({
        modules: true,
        script: "export default { fetch() { return new Response(null, { status: 204 }) } }",
        kvNamespaces: { KV: namespaceId },
        kvPersist: dir,
      });
      const namespace = (await mf.getKVNamespace("KV")) as unknown as KvNamespaceLike;
      return { store: createKvStore(namespace), description: `kv ${namespaceId} in ${dir}`, close: () => mf.dispose() };
    }
  }
}
