export { createForwardAuthApp, startForwardAuthServer, type Authorize, type ForwardAuthServer, type ListenOptions } from "./server.ts";
export { resolveForwardAuthOptions, type ClientIpSource, type ForwardAuthOptions, type ProxyKind, type ResolvedForwardAuthOptions } from "./options.ts";
export { fromProxyRequest, type ProxyRequest } from "./request.ts";
export { proxyResponse } from "./respond.ts";
export { startFromEnv, serveFromEnv } from "./main.ts";
