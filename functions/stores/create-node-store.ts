import { ConfigError } from "../../shared/errors.ts";
import { createStoreFromConfig, type RevocationStore, type RevocationStoreConfig } from "../../shared/revocation/index.ts";
import { createDynamoDbStore } from "./dynamodb.ts";
import { createRedisStore } from "./redis.ts";

/**
 * Builds any configured store in Node (Lambda, the forward-auth server, the CLI): `redis` and
 * `dynamodb` here, the rest through `createStoreFromConfig`. Reads `GATEHOUSE_REDIS_URL`,
 * `GATEHOUSE_REVOCATION_TABLE`, `GATEHOUSE_DYNAMODB_ENDPOINT`, `AWS_REGION` and the Upstash
 * variables from `env` when config leaves them out. Throws `ConfigError`. Call once at start.
 */
export function createNodeStore(config: RevocationStoreConfig, env: Readonly<Record<string, string | undefined>> = process.env): RevocationStore {
  switch (config.kind) {
    case "redis": {
      const url = config.url ?? env.GATEHOUSE_REDIS_URL;
      if (!url) throw new ConfigError("revocation.store.url", "expected a `redis://` url, or `GATEHOUSE_REDIS_URL` in the environment");
      return createRedisStore({ url });
    }
    case "dynamodb": {
      const table = config.table ?? env.GATEHOUSE_REVOCATION_TABLE;
      if (!table) throw new ConfigError("revocation.store.table", "expected the table name, or `GATEHOUSE_REVOCATION_TABLE` in the environment");
      return createDynamoDbStore({ table, region: config.region ?? env.AWS_REGION, endpoint: config.endpoint ?? env.GATEHOUSE_DYNAMODB_ENDPOINT });
    }
    default:
      return createStoreFromConfig(config, env);
  }
}
