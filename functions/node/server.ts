import { serve, type HttpBindings } from "@hono/node-server";
import { Hono } from "hono";
import type { AddressInfo } from "node:net";
import type { Authorizer } from "../../shared/pipeline/create-authorizer.ts";
import type { AuthorizeInput, Decision } from "../../shared/pipeline/types.ts";
import { resolveForwardAuthOptions, type ForwardAuthOptions } from "./options.ts";
import { fromProxyRequest } from "./request.ts";
import { misconfiguredProxyResponse, proxyResponse } from "./respond.ts";

/** The pipeline's entry point and its `refuse`, as `createAuthorizer(config, deps)` returns them. */
export type Authorize = ((input: AuthorizeInput) => Promise<Decision>) & Pick<Authorizer, "refuse">;

/**
 * The forward-auth app: every method and path is an auth request from the configured proxy.
 * Options are checked here, once (`ConfigError` naming the field).
 */
export function createForwardAuthApp(authorize: Authorize, options: ForwardAuthOptions): Hono<{ Bindings: HttpBindings }> {
  const resolved = resolveForwardAuthOptions(options);
  const app = new Hono<{ Bindings: HttpBindings }>();
  app.all("*", async function forwardAuth(c) {
    const incoming = c.env?.incoming;
    // The raw request-target: `c.req.url` went through `new URL`, which already resolved `..`
    const target = incoming?.url ?? new URL(c.req.url).pathname;
    const request = { method: c.req.method, target, headers: c.req.raw.headers, socketIp: incoming?.socket?.remoteAddress };
    const input = fromProxyRequest(request, resolved);
    if (!input) {
      // Refused before deciding, but still audited (#21): the line names the auth request as it came
      const refused = authorize.refuse({ platform: "node", method: request.method, path: target, headers: request.headers, clientIp: request.socketIp }, "proxy_misconfigured");
      if (resolved.flush) await resolved.flush().catch(() => undefined);
      return misconfiguredProxyResponse(refused.decisionId);
    }
    let decision: Decision;
    try {
      decision = await authorize(input);
    } catch {
      // The pipeline answers every request with a Decision; reaching here is a bug, so fail closed
      decision = authorize.refuse(input, "internal_error", 503);
    }
    if (resolved.flush) await resolved.flush().catch(() => undefined);
    return proxyResponse(decision);
  });
  return app;
}

/** Where the server listens. */
export interface ListenOptions {
  /** TCP port, from 0 to 65535; default 9000; 0 picks a free one. */
  readonly port?: number;
  /**
   * Interface to bind; default `127.0.0.1`. The proxy headers are trusted as they come, so only the
   * proxy may reach this port: bind to loopback or a private network, never a public address.
   */
  readonly hostname?: string;
}

/** A running forward-auth server. */
export interface ForwardAuthServer {
  readonly url: string;
  readonly port: number;
  /** Stops accepting connections and resolves once open ones have closed. */
  close(): Promise<void>;
}

/** Starts the forward-auth server on `@hono/node-server`. */
export function startForwardAuthServer(authorize: Authorize, options: ForwardAuthOptions & ListenOptions): Promise<ForwardAuthServer> {
  const app = createForwardAuthApp(authorize, options);
  const hostname = options.hostname ?? "127.0.0.1";
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: app.fetch, port: options.port ?? 9000, hostname }, (info: AddressInfo) => {
      const host = info.family === "IPv6" ? `[${info.address}]` : info.address;
      resolve({
        url: `http://${host}:${info.port}`,
        port: info.port,
        close: () => new Promise<void>((done) => {
          server.close(() => done());
          if ("closeAllConnections" in server) server.closeAllConnections();
        }),
      });
    });
    server.once("error", reject);
  });
}
