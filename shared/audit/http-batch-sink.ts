import { ConfigError } from "../errors.ts";
import type { AuditRecord } from "./record.ts";
import type { AuditSink } from "./sink.ts";

/** Options for `httpBatchSink`. */
export interface HttpBatchSinkOptions {
  /** Collector endpoint (http or https) that accepts NDJSON POSTs. Required. */
  readonly url: string;
  /** Lines per POST, from 1 to 10000; default 100. A full batch is sent at once. */
  readonly batchSize?: number;
  /**
   * Longest a line waits in the buffer before a send is started, in ms, from 0 to 60000; default 1000.
   * 0 sends only on a full batch or `flush()`. On Workers and Lambda, rely on `flush()`: timers do not
   * run after the response.
   */
  readonly flushIntervalMs?: number;
  /**
   * Most lines held at once (waiting plus in flight), from `batchSize` to 1000000; default 1000.
   * A line that does not fit is dropped and counted, never waited for.
   */
  readonly maxBuffer?: number;
  /** Deadline for one POST to answer, in ms, from 1 to 60000; default 2000. A late batch is dropped. */
  readonly timeoutMs?: number;
  /** Extra request headers, e.g. the collector's `authorization`. */
  readonly headers?: Readonly<Record<string, string>>;
  /** The fetch to use; default the global `fetch`. */
  readonly fetch?: typeof fetch;
}

/** Why the last failed batch failed: `timeout`, `network`, or `status_<code>` for a non-2xx answer. */
export type HttpSinkFailure = "timeout" | "network" | `status_${number}`;

/** The HTTP batch sink, with its counters. */
export interface HttpBatchSink extends AuditSink {
  /** Lines dropped: buffer full, not serialisable, or in a batch that failed. */
  readonly dropped: number;
  /** Lines the collector accepted (2xx). */
  readonly sent: number;
  /** POSTs that failed. */
  readonly failedBatches: number;
  /** Why the most recent failed POST failed; `null` if none has. */
  readonly lastFailure: HttpSinkFailure | null;
  /** Sends what is buffered, stops the timer; later writes are dropped and counted. */
  close(): Promise<void>;
}

/**
 * Batches lines and POSTs them to a collector as NDJSON (`application/x-ndjson`). Writing never
 * waits: lines go into a bounded buffer, and sends run in the background. A failed or late batch is
 * dropped and counted, not retried, so a collector that is down costs memory up to `maxBuffer`
 * and nothing else; stdout stays the durable path. Never throws, and `flush()` never rejects.
 */
export function httpBatchSink(options: HttpBatchSinkOptions): HttpBatchSink {
  const field = "audit.http";
  if (typeof options !== "object" || options === null) throw new ConfigError(field, "expected an object");
  let url: URL;
  try {
    url = new URL(options.url);
  } catch {
    throw new ConfigError(`${field}.url`, `expected an absolute http or https url, got \`${String(options.url)}\``);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new ConfigError(`${field}.url`, `expected an http or https url, got \`${url.protocol}\``);
  }
  const batchSize = integerOption(options.batchSize, 100, 1, 10_000, `${field}.batchSize`);
  const flushIntervalMs = integerOption(options.flushIntervalMs, 1000, 0, 60_000, `${field}.flushIntervalMs`);
  const maxBuffer = integerOption(options.maxBuffer, 1000, batchSize, 1_000_000, `${field}.maxBuffer`);
  const timeoutMs = integerOption(options.timeoutMs, 2000, 1, 60_000, `${field}.timeoutMs`);
  const fetchFn = options.fetch ?? fetch;
  if (typeof fetchFn !== "function") throw new ConfigError(`${field}.fetch`, "expected a fetch function");
  const headers: Record<string, string> = { ...options.headers, "content-type": "application/x-ndjson" };
  const target = url.href;

  let pending: string[] = [];
  let inFlightLines = 0;
  const inFlight = new Set<Promise<void>>();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let closed = false;
  let dropped = 0;
  let sent = 0;
  let failedBatches = 0;
  let lastFailure: HttpSinkFailure | null = null;

  async function post(batch: string[]): Promise<boolean> {
    const controller = new AbortController();
    const deadline = setTimeout(() => controller.abort(), timeoutMs);
    try {
      const response = await fetchFn(target, { method: "POST", headers, body: batch.join("\n") + "\n", signal: controller.signal });
      // the answer's body is not needed; cancelling frees the connection
      response.body?.cancel().catch(() => {});
      if (response.status < 200 || response.status > 299) {
        lastFailure = `status_${response.status}`;
        return false;
      }
      return true;
    } catch {
      lastFailure = controller.signal.aborted ? "timeout" : "network";
      return false;
    } finally {
      clearTimeout(deadline);
    }
  }

  function sendBatch(): void {
    const batch = pending.length <= batchSize ? pending : pending.splice(0, batchSize);
    if (batch === pending) pending = [];
    inFlightLines += batch.length;
    const sending = post(batch).then((ok) => {
      inFlightLines -= batch.length;
      if (ok) sent += batch.length;
      else {
        dropped += batch.length;
        failedBatches++;
      }
      inFlight.delete(sending);
    });
    inFlight.add(sending);
  }

  function onTimer(): void {
    timer = undefined;
    while (pending.length > 0) sendBatch();
  }

  function startTimer(): void {
    timer = setTimeout(onTimer, flushIntervalMs);
    // in Node, a pending audit flush must not keep the process alive (no such method elsewhere)
    const handle: unknown = timer;
    if (typeof handle === "object" && handle !== null && "unref" in handle && typeof handle.unref === "function") handle.unref();
  }

  function stopTimer(): void {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
  }

  function enqueue(line: string): void {
    if (closed || pending.length + inFlightLines >= maxBuffer) {
      dropped++;
      return;
    }
    pending.push(line);
    if (pending.length >= batchSize) sendBatch();
    else if (timer === undefined && flushIntervalMs > 0) startTimer();
  }

  async function flush(): Promise<void> {
    stopTimer();
    while (pending.length > 0) sendBatch();
    // settle every send, including ones started before this flush; none of them rejects
    while (inFlight.size > 0) await Promise.all(inFlight);
  }

  return {
    write: function writeHttp(record: AuditRecord) {
      let line: string;
      try {
        line = JSON.stringify(record);
      } catch {
        dropped++;
        return;
      }
      enqueue(line);
    },
    writeLine: enqueue,
    flush: function flushHttp() {
      return flush().catch(() => {});
    },
    close: function closeHttp() {
      closed = true;
      return flush().catch(() => {});
    },
    get dropped() {
      return dropped;
    },
    get sent() {
      return sent;
    },
    get failedBatches() {
      return failedBatches;
    },
    get lastFailure() {
      return lastFailure;
    },
  };
}

function integerOption(value: number | undefined, fallback: number, min: number, max: number, field: string): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(field, `expected an integer from ${min} to ${max}, got \`${String(value)}\``);
  }
  return value;
}
