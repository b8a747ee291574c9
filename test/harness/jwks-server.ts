import { createServer, type IncomingMessage, type Server } from "node:http";
import type { JWK } from "jose";

export interface JwksServer {
  /** `http://127.0.0.1:PORT/.well-known/jwks.json` */
  readonly url: string;
  readonly origin: string;
  /** Every request received, in order (method and path), so tests can count fetches. */
  readonly requests: Array<{ method: string; path: string }>;
  /** Replaces the served keys (key rotation). */
  setKeys(keys: JWK[]): void;
  /** `ok` serves the keys; `down` answers 503; `garbage` answers non-JSON; `hang` never answers. */
  setMode(mode: "ok" | "down" | "garbage" | "hang"): void;
  /** Delay before each answer, in ms (slow IdP). */
  setDelay(ms: number): void;
  stop(): Promise<void>;
}

/** A real JWKS endpoint on an ephemeral loopback port (node:http), for rotation and outage tests. */
export async function startJwksServer(initialKeys: JWK[] = []): Promise<JwksServer> {
  let keys = initialKeys;
  let mode: "ok" | "down" | "garbage" | "hang" = "ok";
  let delayMs = 0;
  const requests: Array<{ method: string; path: string }> = [];
  const hanging = new Set<() => void>();

  const server: Server = createServer((req: IncomingMessage, res) => {
    requests.push({ method: req.method ?? "", path: req.url ?? "" });
    const answer = () => {
      if (mode === "hang") {
        hanging.add(() => res.destroy());
        return;
      }
      if (mode === "down") {
        res.writeHead(503, { "content-type": "text/plain" }).end("unavailable");
        return;
      }
      if (mode === "garbage") {
        res.writeHead(200, { "content-type": "application/json" }).end("{not json");
        return;
      }
      res.writeHead(200, { "content-type": "application/json", "cache-control": "max-age=300" }).end(JSON.stringify({ keys }));
    };
    if (delayMs > 0) setTimeout(answer, delayMs);
    else answer();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  const origin = `http://127.0.0.1:${port}`;
  return {
    url: `${origin}/.well-known/jwks.json`,
    origin,
    requests,
    setKeys: (next) => {
      keys = next;
    },
    setMode: (next) => {
      mode = next;
    },
    setDelay: (ms) => {
      delayMs = ms;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        for (const release of hanging) release();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
