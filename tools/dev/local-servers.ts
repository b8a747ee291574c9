import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { JWK } from "jose";

/** A small HTTP server on 127.0.0.1 with the URL it listens on. */
export interface LocalServer {
  readonly url: string;
  close(): Promise<void>;
}

function listen(server: Server, port = 0): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`));
  });
}

function closer(server: Server): () => Promise<void> {
  return () =>
    new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
}

/** Serves `{ keys }` at `/.well-known/jwks.json` on loopback, the dev issuer's `jwksUri`. */
export async function serveJwks(keys: readonly JWK[]): Promise<LocalServer & { readonly jwksUri: string }> {
  const body = JSON.stringify({ keys });
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    if (request.url === "/.well-known/jwks.json") {
      response.writeHead(200, { "content-type": "application/json", "cache-control": "max-age=300" }).end(body);
    } else {
      response.writeHead(404).end();
    }
  });
  const url = await listen(server);
  return { url, jwksUri: `${url}/.well-known/jwks.json`, close: closer(server) };
}

/**
 * The demo origin behind the dev Worker: answers every request with JSON echoing what it received,
 * including the identity headers Gatehouse added, so a curl shows the whole round trip.
 */
export async function serveDemoOrigin(): Promise<LocalServer> {
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const header = (name: string) => (request.headers[name] as string | undefined) ?? null;
      const body = {
        origin: "gatehouse demo origin",
        method: request.method,
        path: request.url,
        principal: header("x-gatehouse-principal"),
        tenant: header("x-gatehouse-tenant"),
        decision_id: header("x-gatehouse-decision-id"),
        body: Buffer.concat(chunks).toString("utf8") || null,
      };
      response.writeHead(200, { "content-type": "application/json" }).end(`${JSON.stringify(body, null, 2)}\n`);
    });
  });
  return { url: await listen(server), close: closer(server) };
}
