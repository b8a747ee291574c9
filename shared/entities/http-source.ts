import { readLimitedText } from "../token/read-limited.ts";
import type { EntitySource } from "./source.ts";
import { uidKey } from "./uid.ts";

/** Options of an `http` entity source (see `HttpEntitySourceConfig`), resolved. */
export interface HttpSourceOptions {
  readonly url: string;
  /** The `Authorization` header's value, read from the secret the config names; `null` for none. */
  readonly authorization: string | null;
  /** Deadline for one batch, in ms. */
  readonly timeoutMs: number;
  /** Largest answer, in bytes, per uid asked for. */
  readonly maxRecordBytes: number;
  readonly fetch?: (input: string, init: RequestInit) => Promise<Response>;
}

// Sorted as `bad_reply` by `storeErrorOf` (the endpoint answered, but not with records)
class EntityReplyError extends Error {
  override name = "ReplyError";
}

/**
 * Reads records from the user's endpoint: `POST { uids }` → `{ entities: [{ uid, attrs, parents }] }`.
 * A status other than 2xx, a body that is not that JSON, or one longer than `maxRecordBytes` per uid
 * rejects (`bad_reply`); a hang ends at `timeoutMs` or the caller's deadline, whichever comes first.
 */
export function httpEntitySource(options: HttpSourceOptions): EntitySource {
  const doFetch = options.fetch ?? ((input, init) => fetch(input, init));
  return {
    name: "http",
    getMany: async function getEntityRecordsOverHttp(uids, signal) {
      const controller = new AbortController();
      const stop = () => controller.abort();
      const timer = setTimeout(stop, options.timeoutMs);
      signal.addEventListener("abort", stop, { once: true });
      try {
        const headers: Record<string, string> = { "content-type": "application/json", accept: "application/json" };
        if (options.authorization !== null) headers.authorization = options.authorization;
        const response = await doFetch(options.url, { method: "POST", headers, body: JSON.stringify({ uids }), signal: controller.signal, redirect: "error" });
        if (response.status < 200 || response.status > 299) {
          await response.body?.cancel().catch(() => undefined);
          throw new EntityReplyError(`status ${response.status}`);
        }
        const text = await readLimitedText(response, options.maxRecordBytes * Math.max(1, uids.length) + 1024, controller.signal);
        if (text === undefined) throw controller.signal.aborted ? new Error("timeout") : new EntityReplyError("answer too large");
        let body: unknown;
        try {
          body = JSON.parse(text);
        } catch {
          throw new EntityReplyError("answer is not JSON");
        }
        const list = (body as { entities?: unknown } | null)?.entities;
        if (!Array.isArray(list)) throw new EntityReplyError("answer has no `entities` array");
        const byUid = new Map<string, string>();
        for (const record of list) {
          const uid = (record as { uid?: { type?: unknown; id?: unknown } } | null)?.uid;
          // A record without a readable uid cannot be matched to a question: the answer is garbage
          if (typeof uid?.type !== "string" || typeof uid.id !== "string") throw new EntityReplyError("a record has no uid");
          byUid.set(uidKey(uid.type, uid.id), JSON.stringify(record));
        }
        return uids.map((uid) => byUid.get(uid) ?? null);
      } finally {
        clearTimeout(timer);
        signal.removeEventListener("abort", stop);
      }
    },
  };
}
