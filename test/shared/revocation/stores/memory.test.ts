import { createMemoryStore } from "../../../../shared/revocation/index.ts";
import { describeStoreContract } from "../_store-contract.ts";

describeStoreContract("memory", async () => createMemoryStore(), { shortExpiry: true, conditionalWrite: true });
