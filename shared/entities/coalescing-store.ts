import type { RevocationStore } from "../revocation/store.ts";

interface Waiting {
  readonly keys: readonly string[];
  readonly signal: AbortSignal;
  readonly resolve: (values: Array<string | null>) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * The same store, with every `getMany` started in one synchronous run joined into one call (one
 * Redis `MGET`, one DynamoDB `BatchGetItem`, one Upstash request). Used when revocation and
 * entities share a store, so an authorization that misses both caches makes one round trip (#17).
 * The joined call is aborted only once every caller's signal has aborted.
 */
export function coalescingStore(store: RevocationStore): RevocationStore {
  let queue: Waiting[] | null = null;
  let nowOf = 0;

  function flush(): void {
    const batch = queue!;
    queue = null;
    const keys: string[] = [];
    for (const waiting of batch) for (const key of waiting.keys) keys.push(key);
    const controller = new AbortController();
    let open = batch.length;
    for (const waiting of batch) {
      const abort = () => {
        if (--open === 0) controller.abort();
      };
      if (waiting.signal.aborted) abort();
      else waiting.signal.addEventListener("abort", abort, { once: true });
    }
    let pending: Promise<Array<string | null>>;
    try {
      pending = store.getMany(keys, controller.signal, nowOf);
    } catch (error) {
      pending = Promise.reject(error);
    }
    Promise.resolve(pending).then(
      (values) => {
        let at = 0;
        for (const waiting of batch) {
          // A reply of the wrong length is passed on as it is: each caller checks its own shape
          waiting.resolve(Array.isArray(values) && values.length === keys.length ? values.slice(at, at + waiting.keys.length) : values);
          at += waiting.keys.length;
        }
      },
      (error: unknown) => {
        for (const waiting of batch) waiting.reject(error);
      },
    );
  }

  return {
    name: store.name,
    getMany(keys, signal, nowMs) {
      return new Promise((resolve, reject) => {
        if (queue === null) {
          queue = [];
          nowOf = nowMs;
          queueMicrotask(flush);
        }
        queue.push({ keys, signal, resolve, reject });
      });
    },
    put: (key, value, expiresAtSeconds) => store.put(key, value, expiresAtSeconds),
    delete: (key) => store.delete(key),
    list: (prefix, nowMs) => store.list(prefix, nowMs),
    ...(store.close ? { close: () => store.close!() } : {}),
  };
}
