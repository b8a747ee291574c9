import { createServer, type Server } from "node:http";

/** One OTLP/HTTP request the collector received. */
export interface OtlpRequest {
  readonly path: string;
  readonly contentType: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** The decoded JSON body (OTLP/HTTP with JSON encoding), or `null` when it was not JSON. */
  readonly body: OtlpExportRequest | null;
}

/** The parts of `ExportMetricsServiceRequest` (OTLP's JSON encoding) the tests read. */
export interface OtlpExportRequest {
  readonly resourceMetrics: readonly {
    readonly resource?: { readonly attributes?: readonly OtlpAttribute[] };
    readonly scopeMetrics: readonly { readonly scope?: { readonly name?: string }; readonly metrics: readonly OtlpMetric[] }[];
  }[];
}
export interface OtlpAttribute {
  readonly key: string;
  readonly value: { readonly stringValue?: string; readonly intValue?: number | string; readonly doubleValue?: number };
}
export interface OtlpNumberPoint {
  readonly attributes?: readonly OtlpAttribute[];
  readonly asInt?: number | string;
  readonly asDouble?: number;
  readonly startTimeUnixNano?: string | number;
  readonly timeUnixNano?: string | number;
}
export interface OtlpHistogramPoint {
  readonly attributes?: readonly OtlpAttribute[];
  readonly count: number | string;
  readonly sum?: number;
  readonly bucketCounts: readonly (number | string)[];
  readonly explicitBounds: readonly number[];
}
export interface OtlpMetric {
  readonly name: string;
  readonly unit?: string;
  readonly sum?: { readonly dataPoints: readonly OtlpNumberPoint[]; readonly aggregationTemporality?: number; readonly isMonotonic?: boolean };
  readonly gauge?: { readonly dataPoints: readonly OtlpNumberPoint[] };
  readonly histogram?: { readonly dataPoints: readonly OtlpHistogramPoint[]; readonly aggregationTemporality?: number };
}

export interface OtlpCollector {
  /** `http://127.0.0.1:PORT` */
  readonly origin: string;
  /** Every request received, in order. */
  readonly requests: OtlpRequest[];
  /** `ok` answers 200 `{}`; `down` answers 503. */
  setMode(mode: "ok" | "down"): void;
  /** Resolves with the first request received from now on that `accept`s, or rejects after `timeoutMs`. */
  next(accept?: (request: OtlpRequest) => boolean, timeoutMs?: number): Promise<OtlpRequest>;
  stop(): Promise<void>;
}

/** A real OTLP/HTTP receiver on an ephemeral loopback port (node:http): records each export and answers as a collector does. */
export async function startOtlpCollector(): Promise<OtlpCollector> {
  const requests: OtlpRequest[] = [];
  const waiters = new Set<(request: OtlpRequest) => void>();
  let mode: "ok" | "down" = "ok";
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const text = Buffer.concat(chunks).toString("utf8");
      let body: OtlpExportRequest | null = null;
      try {
        body = JSON.parse(text) as OtlpExportRequest;
      } catch {
        body = null;
      }
      const request: OtlpRequest = { path: req.url ?? "", contentType: String(req.headers["content-type"] ?? ""), headers: req.headers, body };
      requests.push(request);
      for (const waiter of [...waiters]) waiter(request);
      if (mode === "down") res.writeHead(503, { "content-type": "text/plain" }).end("unavailable");
      else res.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const origin = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
  return {
    origin,
    requests,
    setMode: (next) => void (mode = next),
    next: (accept = () => true, timeoutMs = 30_000) =>
      new Promise<OtlpRequest>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(`no matching OTLP export within ${timeoutMs} ms (${requests.length} received)`));
        }, timeoutMs);
        const waiter = (request: OtlpRequest) => {
          if (!accept(request)) return;
          clearTimeout(timer);
          waiters.delete(waiter);
          resolve(request);
        };
        waiters.add(waiter);
      }),
    stop: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

/** The metric `name` of an export (first resource, all scopes), or `undefined`. */
export function otlpMetric(body: OtlpExportRequest, name: string): OtlpMetric | undefined {
  for (const resource of body.resourceMetrics) for (const scope of resource.scopeMetrics) for (const metric of scope.metrics) if (metric.name === name) return metric;
  return undefined;
}

/** A point's attributes as a plain record of strings. */
export function otlpAttributes(point: { readonly attributes?: readonly OtlpAttribute[] }): Record<string, string> {
  return Object.fromEntries((point.attributes ?? []).map((a) => [a.key, String(a.value.stringValue ?? a.value.intValue ?? a.value.doubleValue)]));
}
