import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** How the endpoint answers: records, 503, non-JSON, JSON of the wrong shape, never, or a body past any cap. */
export type EntityServerMode = "ok" | "down" | "garbage" | "wrong_shape" | "hang" | "huge";

export interface EntityServer {
  /** `http://127.0.0.1:PORT/entities` */
  readonly url: string;
  /** Every batch asked for, with the `authorization` header it came with. */
  readonly requests: Array<{ uids: string[]; authorization: string | undefined }>;
  /** uid key (`User::"alice"`) → record. */
  readonly records: Map<string, unknown>;
  setMode(mode: EntityServerMode): void;
  stop(): Promise<void>;
}

/** A real `http` entity source on a loopback port (node:http): `POST { uids }` → `{ entities }`. */
export async function startEntityServer(): Promise<EntityServer> {
  let mode: EntityServerMode = "ok";
  const requests: EntityServer["requests"] = [];
  const records = new Map<string, unknown>();
  const hanging = new Set<() => void>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      let uids: string[] = [];
      try {
        uids = (JSON.parse(Buffer.concat(chunks).toString("utf8")) as { uids: string[] }).uids;
      } catch {
        res.writeHead(400).end();
        return;
      }
      requests.push({ uids, authorization: req.headers.authorization });
      if (mode === "hang") return void hanging.add(() => res.destroy());
      if (mode === "down") return void res.writeHead(503).end("unavailable");
      if (mode === "garbage") return void res.writeHead(200, { "content-type": "application/json" }).end("{not json");
      if (mode === "wrong_shape") return void res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ entities: [{ nope: 1 }] }));
      if (mode === "huge") {
        // Streamed without a length: the reader must stop at its cap, not buffer all of it
        res.writeHead(200, { "content-type": "application/json" });
        const chunk = "x".repeat(64 * 1024);
        let sent = 0;
        const push = () => {
          while (sent < 10 * 1024 * 1024) {
            sent += chunk.length;
            if (!res.write(chunk)) return void res.once("drain", push);
          }
          res.end();
        };
        res.on("error", () => undefined);
        return push();
      }
      const entities = uids.map((uid) => records.get(uid)).filter((r) => r !== undefined);
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ entities }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/entities`,
    requests,
    records,
    setMode: (next) => void (mode = next),
    stop: async () => {
      for (const end of hanging) end();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
