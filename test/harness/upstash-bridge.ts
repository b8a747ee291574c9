import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { timingSafeEqual } from "node:crypto";
import { Redis } from "ioredis";

/**
 * HTTP-level faults, on top of what a TCP proxy can do: `error` answers 500 with a JSON error,
 * `garbage` answers 200 with a body that is not JSON, `hang` never answers.
 */
export type UpstashBridgeMode = "ok" | "error" | "garbage" | "hang";

export interface UpstashBridge {
  /** `http://127.0.0.1:PORT`, the `UPSTASH_REDIS_REST_URL` to give the client. */
  readonly url: string;
  readonly port: number;
  /** The bearer token it accepts (`UPSTASH_REDIS_REST_TOKEN`). */
  readonly token: string;
  /** Every request received: path and parsed JSON body. */
  readonly requests: Array<{ path: string; body: unknown }>;
  setMode(mode: UpstashBridgeMode): void;
  stop(): Promise<void>;
}

type Reply = string | number | null | Reply[];

/**
 * A small Upstash-REST-compatible server over a real Redis, written from the REST protocol
 * (https://upstash.com/docs/redis/features/restapi): bearer auth; `POST /` with a JSON command
 * array answers `{"result": …}` or `{"error": "…"}` (400); `POST /pipeline` with an array of
 * command arrays answers `[{"result"}|{"error"}, …]`; with `Upstash-Encoding: base64`, string
 * results are base64 (except `OK`), as the official client asks by default.
 */
export async function startUpstashBridge(redisUrl: string, token = "test-upstash-token"): Promise<UpstashBridge> {
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  redis.on("error", () => {});
  await redis.connect();
  const requests: Array<{ path: string; body: unknown }> = [];
  let mode: UpstashBridgeMode = "ok";
  const expected = Buffer.from(`Bearer ${token}`);

  const server = createServer((request, response) => {
    void handle(request, response).catch(() => {
      if (!response.headersSent) send(response, 500, { error: "ERR bridge failure" });
      else response.destroy();
    });
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const path = (request.url ?? "/").split("?")[0];
    let body: unknown;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
    } catch {
      body = undefined;
    }
    requests.push({ path, body });
    if (mode === "hang") return;
    if (mode === "garbage") {
      response.writeHead(200, { "content-type": "application/json" }).end("<html>not json");
      return;
    }
    if (mode === "error") return send(response, 500, { error: "ERR injected failure" });

    const auth = Buffer.from(request.headers.authorization ?? "");
    if (auth.length !== expected.length || !timingSafeEqual(auth, expected)) return send(response, 401, { error: "Unauthorized" });
    if (request.method !== "POST") return send(response, 405, { error: "ERR only POST is bridged" });
    const base64 = String(request.headers["upstash-encoding"] ?? "").toLowerCase() === "base64";

    if (path === "/" || path === "") {
      if (!isCommand(body)) return send(response, 400, { error: "ERR expected a JSON array of command and arguments" });
      try {
        return send(response, 200, { result: encode((await redis.call(String(body[0]), ...body.slice(1).map(String))) as Reply, base64) });
      } catch (error) {
        return send(response, 400, { error: errorText(error) });
      }
    }
    if (path === "/pipeline" || path === "/multi-exec") {
      if (!Array.isArray(body) || !body.every(isCommand)) return send(response, 400, { error: "ERR expected a JSON array of commands" });
      const pipeline = path === "/pipeline" ? redis.pipeline() : redis.multi();
      for (const command of body as unknown[][]) pipeline.call(String(command[0]), ...command.slice(1).map(String));
      const results = (await pipeline.exec()) ?? [];
      return send(
        response,
        200,
        results.map(([error, result]) => (error ? { error: errorText(error) } : { result: encode(result as Reply, base64) })),
      );
    }
    return send(response, 404, { error: "ERR unknown path" });
  }

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    token,
    requests,
    setMode: (next) => {
      mode = next;
    },
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      redis.disconnect();
    },
  };
}

function isCommand(value: unknown): value is Array<string | number> {
  return Array.isArray(value) && value.length > 0 && value.every((part) => typeof part === "string" || typeof part === "number");
}

function encode(reply: Reply, base64: boolean): Reply {
  if (!base64) return reply;
  if (typeof reply === "string") return reply === "OK" ? reply : Buffer.from(reply, "utf8").toString("base64");
  if (Array.isArray(reply)) return reply.map((item) => encode(item, base64));
  return reply;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function send(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
}
