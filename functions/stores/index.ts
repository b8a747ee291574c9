// Revocation stores that need Node (TCP sockets, the AWS SDK), and the Node registry of every
// kind. Adapters open the configured store through the registry and pass it to the pipeline:
//
//   const { store } = await openStore(nodeStores, config.revocation.store, { env: process.env }); // once, at start

export { nodeStores } from "./registry.ts";
export { createRedisStore, redisStore, type RedisStore, type RedisStoreOptions } from "./redis.ts";
export { createDynamoDbStore, createRevocationTable, dynamodbStore, type DynamoDbStore, type DynamoDbStoreOptions } from "./dynamodb.ts";
export { createS3Store, s3Store, type S3Store, type S3StoreOptions } from "./s3.ts";
