import type { Server } from "node:http";
import { freePort } from "./free-port.ts";

type Dynalite = (options: { createTableMs?: number; deleteTableMs?: number; updateTableMs?: number }) => Server;

export interface DynaliteServer {
  readonly port: number;
  /** `http://127.0.0.1:PORT`, the DynamoDB endpoint to give the AWS SDK client. */
  readonly endpoint: string;
  stop(): Promise<void>;
}

/**
 * Runs dynalite (a DynamoDB implementation on LevelDB, in memory here) in this process on a free
 * loopback port. Tables are created instantly. Pair with any credentials and region.
 */
export async function startDynalite(): Promise<DynaliteServer> {
  // Loaded on first use, so importing the harness does not pull in dynalite's LevelDB stack
  // @ts-expect-error -- dynalite ships no type declarations; the one call used is typed above
  const dynalite = ((await import("dynalite")) as { default: Dynalite }).default;
  const port = await freePort();
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve());
  });
  return {
    port,
    endpoint: `http://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}
