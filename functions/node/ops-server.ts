// The forward-auth server's operations port (#19): `/metrics` for Prometheus, `/health` (liveness:
// the process answers) and `/ready` (readiness: key sets and revocation store usable). A port of its
// own, because on the forward-auth port every path is an auth request from the proxy.
import { serve } from "@hono/node-server";
import { Hono } from "hono";
import type { AddressInfo } from "node:net";
import type { Readiness } from "../../shared/pipeline/readiness.ts";
import type { PrometheusMetrics } from "./metrics.ts";

/** What the ops server serves. */
export interface OpsServerOptions {
  /** The registry `/metrics` renders; absent: `/metrics` answers 404. */
  readonly metrics?: PrometheusMetrics | null;
  /** The readiness check `/ready` runs; absent: ready once listening. */
  readonly readiness?: (() => Promise<Readiness>) | null;
  /** TCP port; 0 picks a free one. */
  readonly port: number;
  /** Interface to bind; default `127.0.0.1`. */
  readonly hostname?: string;
}

/** A running ops server. */
export interface OpsServer {
  readonly url: string;
  close(): Promise<void>;
}

/** The ops app, for tests and for mounting elsewhere. */
export function createOpsApp(options: Omit<OpsServerOptions, "port" | "hostname">): Hono {
  const app = new Hono();
  app.get("/health", (c) => c.json({ status: "ok" }));
  app.get("/ready", async (c) => {
    const readiness = options.readiness ? await options.readiness() : { ready: true, checks: {} };
    return c.json(readiness, readiness.ready ? 200 : 503, { "cache-control": "no-store" });
  });
  app.get("/metrics", async (c) => {
    if (!options.metrics) return c.text("metrics are off", 404);
    // Prometheus asks for OpenMetrics first when exemplars are wanted (scrape_protocols)
    const openMetrics = (c.req.header("accept") ?? "").includes("application/openmetrics-text");
    const { contentType, body } = await options.metrics.render(openMetrics);
    return c.body(body, 200, { "content-type": contentType });
  });
  return app;
}

/** Starts the ops server. */
export function startOpsServer(options: OpsServerOptions): Promise<OpsServer> {
  const app = createOpsApp(options);
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: app.fetch, port: options.port, hostname: options.hostname ?? "127.0.0.1" }, (info: AddressInfo) => {
      const host = info.family === "IPv6" ? `[${info.address}]` : info.address;
      resolve({
        url: `http://${host}:${info.port}`,
        close: () => new Promise<void>((done) => {
          server.close(() => done());
          if ("closeAllConnections" in server) server.closeAllConnections();
        }),
      });
    });
    server.once("error", reject);
  });
}
