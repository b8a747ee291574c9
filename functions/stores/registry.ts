import { neutralStores } from "../../shared/revocation/neutral-stores.ts";
import type { StoreRegistry } from "../../shared/revocation/registry.ts";

/**
 * Every store kind in Node (Lambda, the forward-auth server, the CLI): the runtime-neutral ones
 * plus `redis` (ioredis over TCP), `dynamodb` and `s3` (the AWS SDK; `s3` for policy bundles
 * only), each client loaded only when the configuration names it, so a cold start that needs none
 * pays for none. A new kind is one file and one line here (or in `neutralStores` when it runs in
 * workerd too).
 */
export const nodeStores: StoreRegistry = {
  ...neutralStores,
  redis: () => import("./redis.ts").then((m) => m.redisStore),
  dynamodb: () => import("./dynamodb.ts").then((m) => m.dynamodbStore),
  s3: () => import("./s3.ts").then((m) => m.s3Store),
};
