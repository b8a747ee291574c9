import {
  BatchGetItemCommand,
  CreateTableCommand,
  DeleteItemCommand,
  DynamoDBClient,
  PutItemCommand,
  ScanCommand,
  UpdateTimeToLiveCommand,
  type AttributeValue,
} from "@aws-sdk/client-dynamodb";
import type { RevocationStore, RevocationStoreEntry } from "../../shared/revocation/index.ts";

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
 * aborted at the checker's deadline. DynamoDB's TTL deletes expired items only eventually (often
 * within days, https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/howitworks-ttl.html),
 * so every read also drops items whose `exp` has passed.
 */
export function createDynamoDbStore(options: DynamoDbStoreOptions): DynamoDbStore {
  const table = options.table;
  const client =
    options.client ??
    new DynamoDBClient({
      region: options.region,
      endpoint: options.endpoint,
      credentials: options.credentials,
      // The checker owns the deadline and the breaker; SDK retries would only outlive both
      maxAttempts: 1,
      requestHandler: { connectionTimeout: 1000, requestTimeout: 2000 },
    });

  const live = (item: Record<string, AttributeValue> | undefined, nowSeconds: number): string | null => {
    const value = item?.v?.S;
    const exp = Number(item?.exp?.N);
    return value !== undefined && !(exp <= nowSeconds) ? value : null;
  };

  return {
    name: "dynamodb",
    getMany: async function dynamoDbGetMany(keys, signal, nowMs) {
      const found = new Map<string, Record<string, AttributeValue>>();
      let pending: Array<Record<string, AttributeValue>> = keys.map((key) => ({ pk: { S: key } }));
      // Unprocessed keys come back under throttling; ask again while the deadline allows
      for (let attempt = 0; pending.length > 0; attempt++) {
        if (attempt === 3 || signal.aborted) throw new Error("dynamodb left keys unprocessed");
        const reply = await client.send(new BatchGetItemCommand({ RequestItems: { [table]: { Keys: pending, ...PROJECTION } } }), {
          abortSignal: signal,
        });
        for (const item of reply.Responses?.[table] ?? []) if (item.pk?.S !== undefined) found.set(item.pk.S, item);
        pending = reply.UnprocessedKeys?.[table]?.Keys ?? [];
      }
      const nowSeconds = nowMs / 1000;
      return keys.map((key) => live(found.get(key), nowSeconds));
    },
    put: async function dynamoDbPut(key, value, expiresAtSeconds) {
      await client.send(new PutItemCommand({ TableName: table, Item: { pk: { S: key }, v: { S: value }, exp: { N: String(expiresAtSeconds) } } }));
    },
    delete: async function dynamoDbDelete(key) {
      await client.send(new DeleteItemCommand({ TableName: table, Key: { pk: { S: key } } }));
    },
    list: async function dynamoDbList(prefix, nowMs) {
      const found: RevocationStoreEntry[] = [];
      let start: Record<string, AttributeValue> | undefined;
      do {
        const page = await client.send(
          new ScanCommand({
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
      if (options.client === undefined) client.destroy();
    },
  };
}

/**
 * Creates the revocation table (on-demand billing, TTL on `exp`) for local development and tests;
 * in AWS the SAM template creates it. An existing table is left as it is.
 */
export async function createRevocationTable(client: DynamoDBClient, table: string): Promise<void> {
  try {
    await client.send(
      new CreateTableCommand({
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
    await client.send(new UpdateTimeToLiveCommand({ TableName: table, TimeToLiveSpecification: { AttributeName: "exp", Enabled: true } }));
  } catch (error) {
    // dynalite and some local emulators do not implement TTL; reads filter expired items anyway
    const name = (error as { name?: string }).name;
    if (name !== "UnknownOperationException" && name !== "ValidationException") throw error;
  }
}
