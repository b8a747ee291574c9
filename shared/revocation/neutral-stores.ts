import type { StoreRegistry } from "./registry.ts";
import { kvStore } from "./stores/kv.ts";
import { memoryStore } from "./stores/memory.ts";

// A file of its own: a Worker bundle that reaches the registry through the middleware must not reach
// Upstash's dynamic import too, or the user's bundler asks for a client they never installed (#15)
/**
 * The kinds that run everywhere (workerd, Lambda, Node) and need no Node API: `memory`, `kv` and
 * `upstash` (its client loaded when named). Pass it as the middleware's `stores` to open Upstash
 * from a Worker's vars. Node adds `redis` and `dynamodb` in functions/stores.
 */
// Listed out rather than spread, so a bundle that does not use it can drop it, Upstash's client with it
export const neutralStores: StoreRegistry = {
  memory: memoryStore,
  kv: kvStore,
  upstash: () => import("./stores/upstash.ts").then((m) => m.upstashStore),
  http: () => import("./stores/http.ts").then((m) => m.httpStore),
};
