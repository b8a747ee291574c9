import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DynamoDBClient, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { createDynamoDbStore, createRevocationTable, nodeStores } from "../../../functions/stores/index.ts";
import { ConfigError } from "../../../shared/errors.ts";
import { createRevocationChecker, openStore } from "../../../shared/revocation/index.ts";
import { startDynalite, startTcpProxy, type DynaliteServer } from "../../harness/index.ts";
import { describeStoreFaults } from "../../shared/revocation/_fault-suite.ts";
import { describeStoreContract } from "../../shared/revocation/_store-contract.ts";

const TABLE = "gatehouse-revocations";
const credentials = { accessKeyId: "local", secretAccessKey: "local" };
let dynalite: DynaliteServer;

beforeAll(async () => {
  dynalite = await startDynalite();
  const client = new DynamoDBClient({ region: "local", endpoint: dynalite.endpoint, credentials });
  await createRevocationTable(client, TABLE);
  await createRevocationTable(client, TABLE); // an existing table is left alone
  client.destroy();
});
afterAll(async () => {
  await dynalite?.stop();
});

describeStoreContract("dynamodb", async () => createDynamoDbStore({ table: TABLE, region: "local", endpoint: dynalite.endpoint, credentials }), { shortExpiry: true, conditionalWrite: true });

describeStoreFaults("dynamodb", async () => {
  const proxy = await startTcpProxy({ host: "127.0.0.1", port: dynalite.port });
  const store = createDynamoDbStore({ table: TABLE, region: "local", endpoint: `http://127.0.0.1:${proxy.port}`, credentials });
  return {
    store,
    proxy,
    stop: async () => {
      await store.close();
      await proxy.stop();
    },
  };
});

describe("dynamodb: table semantics", () => {
  it("ignores items past their TTL that DynamoDB has not deleted yet", async () => {
    const client = new DynamoDBClient({ region: "local", endpoint: dynalite.endpoint, credentials });
    // DynamoDB never judges `exp` itself: the store judges by the caller's time, whatever the date
    const nowMs = Date.UTC(2026, 0, 1);
    const nowS = nowMs / 1000;
    await client.send(new PutItemCommand({ TableName: TABLE, Item: { pk: { S: "gh:rv:jti:i:old" }, v: { S: "1" }, exp: { N: String(nowS - 1) } } }));
    await client.send(new PutItemCommand({ TableName: TABLE, Item: { pk: { S: "gh:rv:jti:i:new" }, v: { S: "1" }, exp: { N: String(nowS + 60) } } }));
    const store = createDynamoDbStore({ table: TABLE, client });
    expect(await store.getMany(["gh:rv:jti:i:old", "gh:rv:jti:i:new"], AbortSignal.timeout(2000), nowMs)).toEqual([null, "1"]);
    expect((await store.list("gh:rv:jti:i:", nowMs)).map((e) => e.key)).toEqual(["gh:rv:jti:i:new"]);
    client.destroy();
  });

  it("putIfAbsent takes over an item past its TTL that DynamoDB has not deleted yet, judged by the caller's time", async () => {
    const client = new DynamoDBClient({ region: "local", endpoint: dynalite.endpoint, credentials });
    const nowMs = Date.UTC(2026, 0, 1);
    const nowS = nowMs / 1000;
    await client.send(new PutItemCommand({ TableName: TABLE, Item: { pk: { S: "gh:dpop:old" }, v: { S: "old" }, exp: { N: String(nowS - 1) } } }));
    await client.send(new PutItemCommand({ TableName: TABLE, Item: { pk: { S: "gh:dpop:live" }, v: { S: "live" }, exp: { N: String(nowS + 60) } } }));
    const store = createDynamoDbStore({ table: TABLE, client });
    const signal = AbortSignal.timeout(2000);
    expect(await store.putIfAbsent!("gh:dpop:old", "new", nowS + 60, signal, nowMs)).toBe(true);
    expect(await store.putIfAbsent!("gh:dpop:live", "new", nowS + 60, signal, nowMs)).toBe(false);
    expect(await store.getMany(["gh:dpop:old", "gh:dpop:live"], signal, nowMs)).toEqual(["new", "live"]);
    // The same item, a minute later by the caller's clock, is past its `exp`
    expect(await store.putIfAbsent!("gh:dpop:live", "later", nowS + 120, signal, nowMs + 60_000)).toBe(true);
    client.destroy();
  });

  it("fails closed with `bad_reply` when the table does not exist (the service answered with an error)", async () => {
    const store = createDynamoDbStore({ table: "missing-table", region: "local", endpoint: dynalite.endpoint, credentials });
    const checker = createRevocationChecker({ store: { kind: "memory" }, deadlineMs: 2000 }, { store });
    expect(await checker.check({ iss: "i", sub: "s" })).toMatchObject({ allow: false, reason: "revocation_unavailable", storeError: "bad_reply" });
    await store.close();
  });

  it("is built from config or `GATEHOUSE_REVOCATION_TABLE`, and names the missing table", async () => {
    const { store, description } = await openStore(nodeStores, { kind: "dynamodb", endpoint: dynalite.endpoint, region: "local" }, { env: { GATEHOUSE_REVOCATION_TABLE: TABLE } });
    expect(store.name).toBe("dynamodb");
    expect(description).toBe(`dynamodb table ${TABLE}`);
    await store.close?.();
    await expect(openStore(nodeStores, { kind: "dynamodb" }, { env: {} })).rejects.toThrow(ConfigError);
  });
});
