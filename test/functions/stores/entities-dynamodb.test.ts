// Entity records in DynamoDB (dynalite, the real AWS SDK), opened through the same registry as
// revocation: `openEntityDeps` with one table for both joins a request's reads into one BatchGetItem.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { createDynamoDbStore, createRevocationTable, nodeStores } from "../../../functions/stores/index.ts";
import { validateConfig } from "../../../shared/config/validate.ts";
import { createEntityLoader, entityStoreKey, NO_EXPIRY_SECONDS, openEntityDeps, resolveEntitiesConfig } from "../../../shared/entities/index.ts";
import { frozenClock } from "../../../shared/clock/index.ts";
import { createRevocationChecker, type RevocationStore } from "../../../shared/revocation/index.ts";
import { startDynalite, type DynaliteServer } from "../../harness/index.ts";

const TABLE = "gatehouse-entities";
const credentials = { AWS_ACCESS_KEY_ID: "local", AWS_SECRET_ACCESS_KEY: "local" };
let dynalite: DynaliteServer;

beforeAll(async () => {
  dynalite = await startDynalite();
  const client = new DynamoDBClient({ region: "local", endpoint: dynalite.endpoint, credentials: { accessKeyId: "local", secretAccessKey: "local" } });
  await createRevocationTable(client, TABLE);
  client.destroy();
});
afterAll(async () => {
  await dynalite?.stop();
});

describe("entities on DynamoDB", () => {
  it("reads records written under gh:en:, and shares one BatchGetItem with revocation when both name the table", async () => {
    const section = { kind: "dynamodb" as const, table: TABLE, region: "local", endpoint: dynalite.endpoint };
    const config = validateConfig({
      token: { issuers: [{ issuer: "https://i.test", audience: null, algorithms: ["HS256"], secret: "s".repeat(32) }] },
      routes: [{ method: "GET", path: "/x", public: true }],
      revocation: { store: section },
      entities: { source: section },
    });
    const opened = { store: createDynamoDbStore({ table: TABLE, region: "local", endpoint: dynalite.endpoint, credentials: { accessKeyId: "local", secretAccessKey: "local" } }) };
    const calls: number[] = [];
    // Counting the client's own calls: one per getMany reaching DynamoDB
    const counted: RevocationStore = { ...opened.store, getMany: (keys, signal, now) => (calls.push(keys.length), opened.store.getMany(keys, signal, now)) };
    const deps = await openEntityDeps(nodeStores, config, counted, { env: credentials });
    expect(deps.entitiesShareStore).toBe(true);
    await opened.store.put(entityStoreKey('User::"alice"'), JSON.stringify({ uid: { type: "User", id: "alice" }, attrs: { tenant: "acme" } }), NO_EXPIRY_SECONDS);
    const clock = frozenClock(Date.UTC(2026, 10, 22));
    const loader = createEntityLoader(resolveEntitiesConfig({ source: section, deadlineMs: 2000 }), { source: deps.entitySource!, clock, shapes: null, isStatic: () => false });
    const checker = createRevocationChecker({ store: section, deadlineMs: 2000 }, { store: deps.revocationStore!, clock });
    // Started in the same turn, as the pipeline's prefetch does: one call to the table
    const [entities, revocation] = await Promise.all([loader.load([{ type: "User", id: "alice" }], "closed"), checker.check({ iss: "https://i.test", sub: "alice", jti: "j-1" })]);
    expect(entities).toMatchObject({ ok: true, records: [{ uid: { type: "User", id: "alice" }, attrs: { tenant: "acme" } }] });
    expect(revocation).toMatchObject({ allow: true, outcome: "not_revoked" });
    expect(calls).toEqual([3]);
    await opened.store.close?.();
  });
});
