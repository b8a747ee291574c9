import { createServer, createConnection, type Socket } from "node:net";

/**
 * How the proxy treats traffic, switchable at any time (it applies to the next chunk, on open
 * connections too):
 * - `forward`: pass bytes both ways (after `delayMs`, if set).
 * - `hang`: accept and read, never answer. A connection that saw traffic while hung stays a black
 *   hole after the mode changes back (a half-open connection after a failover: TCP guarantees no
 *   reply will ever come), so clients must open a new one to recover.
 * - `garbage`: answer every chunk from the client with bytes no protocol parses, and keep the connection.
 * - `reset`: destroy every connection as soon as it sends anything (a crashed server).
 */
export type TcpProxyMode = "forward" | "hang" | "garbage" | "reset";

export interface TcpProxy {
  readonly host: string;
  readonly port: number;
  setMode(mode: TcpProxyMode): void;
  /** Delay added to every forwarded chunk, in ms, both directions; order is kept. */
  setDelay(ms: number): void;
  /** Connections accepted so far. */
  readonly connections: () => number;
  /** Destroys open connections (clients see a reset) without changing the mode. */
  dropConnections(): void;
  stop(): Promise<void>;
}

const GARBAGE = Buffer.from("\u0000\u00ff<html>garbage\r\n}{\u0007]]\r\n", "latin1");

/** A TCP proxy on a free loopback port in front of `target`, for fault tests (slow, hung, garbage, reset). */
export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  let mode: TcpProxyMode = "forward";
  let delayMs = 0;
  let accepted = 0;
  const sockets = new Set<Socket>();

  const server = createServer((client) => {
    accepted++;
    sockets.add(client);
    client.on("error", () => {});
    client.on("close", () => sockets.delete(client));
    let upstream: Socket | undefined;
    let blackHoled = false;
    // Delayed chunks are queued per direction so a short delay never overtakes a long one
    const send = (to: () => Socket | undefined, chunk: Buffer, queue: { tail: Promise<void> }) => {
      const wait = delayMs;
      queue.tail = queue.tail.then(() => (wait > 0 ? new Promise((r) => setTimeout(r, wait)) : undefined)).then(() => {
        const socket = to();
        if (socket && !socket.destroyed) socket.write(chunk);
      });
    };
    const toUpstream = { tail: Promise.resolve() };
    const toClient = { tail: Promise.resolve() };
    const openUpstream = () => {
      if (upstream) return upstream;
      upstream = createConnection(target);
      sockets.add(upstream);
      upstream.on("error", () => client.destroy());
      upstream.on("close", () => {
        sockets.delete(upstream!);
        client.destroy();
      });
      upstream.on("data", (chunk: Buffer) => {
        if (mode === "forward" && !blackHoled) send(() => client, chunk, toClient);
      });
      return upstream;
    };
    client.on("data", (chunk: Buffer) => {
      if (blackHoled) return;
      switch (mode) {
        case "forward":
          openUpstream();
          send(() => upstream, chunk, toUpstream);
          return;
        case "hang":
          blackHoled = true;
          return;
        case "garbage":
          client.write(GARBAGE);
          return;
        case "reset":
          client.resetAndDestroy();
          return;
      }
    });
    client.on("close", () => upstream?.destroy());
    // Protocols where the server speaks first would need this; Redis, HTTP and DynamoDB do not
    if (mode === "forward") openUpstream();
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    host: "127.0.0.1",
    port,
    setMode: (next) => {
      mode = next;
    },
    setDelay: (ms) => {
      delayMs = ms;
    },
    connections: () => accepted,
    dropConnections: () => {
      for (const socket of sockets) socket.destroy();
    },
    stop: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
