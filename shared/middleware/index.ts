// Hono middleware and the Fetch-API pieces the Worker shares with it (problem+json, identity headers).
export { gatehouse, lazyAuthorizer, configRefused, flushLater, executionContext, type ExecutionContextLike, type GatehouseDeps, type GatehouseVariables, type WorkerEnv } from "./gatehouse.ts";
export { problemResponse } from "./problem.ts";
export { setIdentityHeaders, withIdentityHeaders } from "./identity-headers.ts";
export { requestInput } from "./request-input.ts";
