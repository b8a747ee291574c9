import { createServer, type Server, type ServerResponse } from "node:http";

/** One POST the collector received. */
export interface CollectorBatch {
  readonly contentType: string | undefined;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** The body split into lines (the trailing newline removed). */
  readonly lines: string[];
  readonly body: string;
}

export interface AuditCollector {
  /** `http://127.0.0.1:PORT/ingest` */
  readonly url: string;
  /** Every accepted (answered) batch, in arrival order. */
  readonly batches: CollectorBatch[];
  /** All lines received, parsed. */
  records(): unknown[];
  /** `ok` answers 204; `error` answers 500; `hang` never answers. */
  setMode(mode: "ok" | "error" | "hang"): void;
  /** Delay before each answer, in ms (slow collector). */
  setDelay(ms: number): void;
  /** Resolves once `n` batches have arrived (answered or not). */
  waitForBatches(n: number, timeoutMs?: number): Promise<void>;
  /** Requests received, including ones left hanging. */
  readonly received: number;
  stop(): Promise<void>;
}

/** A real NDJSON log collector on a loopback port (node:http), for the HTTP audit sink's tests. */
export async function startAuditCollector(): Promise<AuditCollector> {
  let mode: "ok" | "error" | "hang" = "ok";
  let delayMs = 0;
  let received = 0;
  const batches: CollectorBatch[] = [];
  const hanging = new Set<ServerResponse>();
  const waiters: Array<{ n: number; resolve: () => void }> = [];

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      received++;
      const body = Buffer.concat(chunks).toString("utf8");
      const batch: CollectorBatch = {
        contentType: req.headers["content-type"],
        headers: req.headers,
        body,
        lines: body.endsWith("\n") ? body.slice(0, -1).split("\n") : body.split("\n"),
      };
      for (const w of waiters.splice(0)) {
        if (received >= w.n) w.resolve();
        else waiters.push(w);
      }
      const answer = () => {
        if (mode === "hang") {
          hanging.add(res);
          return;
        }
        if (mode === "error") {
          res.writeHead(500).end("collector error");
          return;
        }
        batches.push(batch);
        res.writeHead(204).end();
      };
      if (delayMs > 0) setTimeout(answer, delayMs);
      else answer();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}/ingest`,
    batches,
    records: () => batches.flatMap((b) => b.lines.map((l) => JSON.parse(l) as unknown)),
    setMode: (next) => {
      mode = next;
    },
    setDelay: (ms) => {
      delayMs = ms;
    },
    get received() {
      return received;
    },
    waitForBatches: (n, timeoutMs = 5000) =>
      new Promise<void>((resolve, reject) => {
        if (received >= n) return resolve();
        const timer = setTimeout(() => reject(new Error(`collector got ${received} of ${n} batches`)), timeoutMs);
        waiters.push({ n, resolve: () => (clearTimeout(timer), resolve()) });
      }),
    stop: async () => {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
