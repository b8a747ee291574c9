/**
 * Where revocations live. One small interface so the checker does not care whether it talks to
 * Upstash over HTTPS, Redis over TCP, Cloudflare KV or DynamoDB. Every store keeps the same keys
 * (see `keys.ts`) and the same string values, so an entry written by the CLI to Redis reads the
 * same through Upstash.
 *
 * A store holds no clock of its own: every time it needs comes from its caller.
 *
 * Implementations must never throw synchronously and never leave a rejection unhandled; the checker
 * races `getMany` against its deadline and treats any rejection as `store_error`.
 */
export interface RevocationStore {
  /** Short name for audit lines and benchmarks: `memory`, `upstash`, `redis`, `kv`, `dynamodb`. */
  readonly name: string;
  /**
   * Reads every key in one round trip (Redis `MGET`, DynamoDB `BatchGetItem`, KV reads in
   * parallel). Answers one entry per key, in order: the stored value, or `null` when absent or
   * expired. `signal` aborts the request once the checker's deadline has passed; stores whose
   * client cannot be aborted may ignore it. `nowMs` is the caller's clock: a store that decides
   * expiry itself (memory, DynamoDB's lagging TTL) judges by it, so it can never disagree with the
   * checker about what has expired (issue #14); stores whose server expires entries ignore it.
   */
  getMany(keys: readonly string[], signal: AbortSignal, nowMs: number): Promise<Array<string | null>>;
  /** Writes `value` under `key`, to expire by itself at `expiresAtSeconds` (Unix seconds). */
  put(key: string, value: string, expiresAtSeconds: number): Promise<void>;
  /**
   * Writes `value` under `key`, to expire at `expiresAtSeconds`, only if no unexpired entry is
   * there, as one atomic round trip (Redis `SET NX EXAT`, a conditional DynamoDB `PutItem`).
   * Answers `true` when it wrote, `false` when an entry live at `nowMs` was already there; of two
   * callers racing on one key, exactly one gets `true`. `signal` and `nowMs` as for `getMany`.
   * Optional: a store without an atomic conditional write (KV) leaves it out, and callers fall
   * back to `getMany` then `put`, which two instances can both pass between the read and the write.
   */
  putIfAbsent?(key: string, value: string, expiresAtSeconds: number, signal: AbortSignal, nowMs: number): Promise<boolean>;
  /** Removes `key`; removing an absent key is not an error. */
  delete(key: string): Promise<void>;
  /** Every entry live at `nowMs` whose key starts with `prefix`, for `gatehouse revocations list`. */
  list(prefix: string, nowMs: number): Promise<RevocationStoreEntry[]>;
  /** Releases connections (TCP clients, Miniflare); absent where there is nothing to release. */
  close?(): Promise<void>;
}

/** One stored entry, as `list` answers it. */
export interface RevocationStoreEntry {
  readonly key: string;
  readonly value: string;
  /** Unix seconds when the store drops the entry, where the store can tell. */
  readonly expiresAt?: number;
}
