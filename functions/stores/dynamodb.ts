import type { AttributeValue, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { ConfigError } from "../../shared/errors.ts";
import type { RevocationStore, RevocationStoreEntry } from "../../shared/revocation/store.ts";
import { optionFrom, requiredOption, type StoreKind } from "../../shared/revocation/store-kind.ts";

/** Options for `createDynamoDbStore`. */
export interface DynamoDbStoreOptions {
  /** Table with partition key `pk` (string) and TTL attribute `exp` (number, Unix seconds). */
  readonly table: string;
  /** AWS region; default the SDK's (`AWS_REGION` in Lambda). */
  readonly region?: string;
  /** Endpoint override for DynamoDB Local or dynalite, e.g. `http://127.0.0.1:8000`. */
  readonly endpoint?: string;
  /** Static credentials, e.g. any pair for a local endpoint; default the SDK's provider chain (the Lambda role). */
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
  /** A client built by the caller (credentials, tracing); `region` and `endpoint` are then ignored. */
  readonly client?: DynamoDBClient;
}

/** A DynamoDB store, with `close` to release the SDK client's sockets. */
export interface DynamoDbStore extends RevocationStore {
  close(): Promise<void>;
}

// Attribute names: `pk` the key, `v` the value, `exp` the TTL attribute
const PROJECTION = { ProjectionExpression: "pk, v, #exp", ExpressionAttributeNames: { "#exp": "exp" } };

/**
 * DynamoDB through the AWS SDK v3. A lookup is one `BatchGetItem` (eventually consistent read),
 * aborted at the checker's deadline; a conditional write (`putIfAbsent`) one `PutItem` with a
 * condition, which DynamoDB evaluates atomically on the item. DynamoDB's TTL deletes expired items
 * only eventually (often within days,
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/howitworks-ttl.html), so every
 * read also drops items whose `exp` has passed, and a conditional write takes them over.
 */
export function createDynamoDbStore(options: DynamoDbStoreOptions): DynamoDbStore {
  const table = options.table;
  // The AWS SDK is an optional peer of the package: loaded when a store is built, not when this
  // module is (the CLI loads every store kind for its flags)
  const ready = import("@aws-sdk/client-dynamodb").then((sdk) => ({
    sdk,
    client:
      options.client ??
      new sdk.DynamoDBClient({
        region: options.region,
        endpoint: options.endpoint,
        credentials: options.credentials,
        // The checker owns the deadline and the breaker; SDK retries would only outlive both
        maxAttempts: 1,
        requestHandler: { connectionTimeout: 1000, requestTimeout: 2000 },
      }),
  }));
  ready.catch(() => {}); // a missing SDK rejects every call; never an unhandled rejection

  const live = (item: Record<string, AttributeValue> | undefined, nowSeconds: number): string | null => {
    const value = item?.v?.S;
    const exp = Number(item?.exp?.N);
    return value !== undefined && !(exp <= nowSeconds) ? value : null;
  };

  return {
    name: "dynamodb",
    getMany: async function dynamoDbGetMany(keys, signal, nowMs) {
      const { sdk, client } = await ready;
      const found = new Map<string, Record<string, AttributeValue>>();
      let pending: Array<Record<string, AttributeValue>> = keys.map((key) => ({ pk: { S: key } }));
      // Unprocessed keys come back under throttling; ask again while the deadline allows
      for (let attempt = 0; pending.length > 0; attempt++) {
        if (attempt === 3 || signal.aborted) throw new Error("dynamodb left keys unprocessed");
        const reply = await client.send(new sdk.BatchGetItemCommand({ RequestItems: { [table]: { Keys: pending, ...PROJECTION } } }), {
          abortSignal: signal,
        });
        for (const item of reply.Responses?.[table] ?? []) if (item.pk?.S !== undefined) found.set(item.pk.S, item);
        pending = reply.UnprocessedKeys?.[table]?.Keys ?? [];
      }
      const nowSeconds = nowMs / 1000;
      return keys.map((key) => live(found.get(key), nowSeconds));
    },
    put: async function dynamoDbPut(key, value, expiresAtSeconds) {
      const { sdk, client } = await ready;
      await client.send(new sdk.PutItemCommand({ TableName: table, Item: { pk: { S: key }, v: { S: value }, exp: { N: String(expiresAtSeconds) } } }));
    },
    // One conditional `PutItem`: written when no item is there or the one there is past its `exp`
    // by the caller's clock (TTL deletes lag), so it agrees with `getMany` on what is live
    putIfAbsent: async function dynamoDbPutIfAbsent(key, value, expiresAtSeconds, signal, nowMs) {
      const { sdk, client } = await ready;
      try {
        await client.send(
          new sdk.PutItemCommand({
            TableName: table,
            Item: { pk: { S: key }, v: { S: value }, exp: { N: String(expiresAtSeconds) } },
            ConditionExpression: "attribute_not_exists(pk) OR #exp <= :now",
            ExpressionAttributeNames: { "#exp": "exp" },
            ExpressionAttributeValues: { ":now": { N: String(nowMs / 1000) } },
          }),
          { abortSignal: signal },
        );
        return true;
      } catch (error) {
        if ((error as { name?: string }).name === "ConditionalCheckFailedException") return false;
        throw error;
      }
    },
    delete: async function dynamoDbDelete(key) {
      const { sdk, client } = await ready;
      await client.send(new sdk.DeleteItemCommand({ TableName: table, Key: { pk: { S: key } } }));
    },
    list: async function dynamoDbList(prefix, nowMs) {
      const { sdk, client } = await ready;
      const found: RevocationStoreEntry[] = [];
      let start: Record<string, AttributeValue> | undefined;
      do {
        const page = await client.send(
          new sdk.ScanCommand({
            TableName: table,
            FilterExpression: "begins_with(pk, :prefix)",
            ExpressionAttributeValues: { ":prefix": { S: prefix } },
            ExclusiveStartKey: start,
            ...PROJECTION,
          }),
        );
        const nowSeconds = nowMs / 1000;
        for (const item of page.Items ?? []) {
          const value = live(item, nowSeconds);
          if (value !== null && item.pk?.S !== undefined) found.push({ key: item.pk.S, value, expiresAt: Number(item.exp?.N) || undefined });
        }
        start = page.LastEvaluatedKey;
      } while (start !== undefined);
      return found.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    },
    close: async function dynamoDbClose() {
      const { client } = await ready;
      if (options.client === undefined) client.destroy();
    },
  };
}

/**
 * Creates the revocation table (on-demand billing, TTL on `exp`) for local development and tests;
 * in AWS the SAM template creates it. An existing table is left as it is.
 */
export async function createRevocationTable(client: DynamoDBClient, table: string): Promise<void> {
  const sdk = await import("@aws-sdk/client-dynamodb");
  try {
    await client.send(
      new sdk.CreateTableCommand({
        TableName: table,
        AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }],
        KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
        BillingMode: "PAY_PER_REQUEST",
      }),
    );
  } catch (error) {
    if ((error as { name?: string }).name !== "ResourceInUseException") throw error;
  }
  try {
    await client.send(new sdk.UpdateTimeToLiveCommand({ TableName: table, TimeToLiveSpecification: { AttributeName: "exp", Enabled: true } }));
  } catch (error) {
    // dynalite and some local emulators do not implement TTL; reads filter expired items anyway
    const name = (error as { name?: string }).name;
    if (name !== "UnknownOperationException" && name !== "ValidationException") throw error;
  }
}

/**
 * `{ kind: "dynamodb", table?, region?, endpoint? }`: `table` defaults to `GATEHOUSE_REVOCATION_TABLE`,
 * `region` to `AWS_REGION` (or `local` with an endpoint), `endpoint` to `GATEHOUSE_DYNAMODB_ENDPOINT`.
 * A local endpoint (dynalite, DynamoDB Local) checks no signature, so without AWS credentials in the
 * environment it gets a placeholder pair rather than making the user invent one. Node only.
 */
export const dynamodbStore: StoreKind<DynamoDbStoreOptions> = {
  kind: "dynamodb",
  cli: {
    select: { flag: "dynamodb-table", field: "table", env: "GATEHOUSE_REVOCATION_TABLE", help: "NAME  DynamoDB table" },
    options: [
      { flag: "dynamodb-endpoint", field: "endpoint", env: "GATEHOUSE_DYNAMODB_ENDPOINT", help: "URL  local endpoint" },
      { flag: "region", field: "region", env: "AWS_REGION", help: "REGION" },
    ],
  },
  parse(section, env, name) {
    const table = requiredOption(section, env, "table", "GATEHOUSE_REVOCATION_TABLE", name, "the table name");
    const endpoint = optionFrom(section, env, "endpoint", "GATEHOUSE_DYNAMODB_ENDPOINT");
    const region = optionFrom(section, env, "region", "AWS_REGION") ?? optionFrom({}, env, "region", "AWS_DEFAULT_REGION") ?? (endpoint ? "local" : undefined);
    if (region === undefined) throw new ConfigError(name("region"), "expected an AWS region, or `AWS_REGION` in the environment");
    const local = endpoint !== undefined && env.AWS_ACCESS_KEY_ID === undefined && env.AWS_PROFILE === undefined;
    return { table, region, ...(endpoint === undefined ? {} : { endpoint }), ...(local ? { credentials: { accessKeyId: "local", secretAccessKey: "local" } } : {}) };
  },
  create: (options) => createDynamoDbStore(options),
  describe: (options) => `dynamodb table ${options.table}`,
};
