// Revocation stores that need Node (TCP sockets, the AWS SDK), built by the Lambda and Node
// adapters and passed to `createRevocationChecker`. The stores that run anywhere live in
// shared/revocation.
//
//   const store = createNodeStore(config.revocation.store);            // once, at start
//   const checker = createRevocationChecker(config.revocation, { store });

export { createNodeStore } from "./create-node-store.ts";
export { createRedisStore, type RedisStore, type RedisStoreOptions } from "./redis.ts";
export { createDynamoDbStore, createRevocationTable, type DynamoDbStore, type DynamoDbStoreOptions } from "./dynamodb.ts";
