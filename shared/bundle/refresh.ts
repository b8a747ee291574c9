import type { AuditSink } from "../audit/sink.ts";
import type { Clock } from "../clock/index.ts";
import { writeBundleEvent } from "./audit-event.ts";
import { BundleError } from "./errors.ts";
import type { LivePolicySet } from "./live-set.ts";
import type { BundleReader } from "./store.ts";
import { importBundleKey, verifyBundle, type BundleKey } from "./verify.ts";

/** What the refresher needs: where bundles are, the key, the set to swap, and the authorizer's clock and sink. */
export interface BundleRefresherOptions {
  /** A store opened at start, or one whose client is still loading. */
  readonly store: BundleReader | Promise<BundleReader>;
  /** `policyBundle.publicKey`: an Ed25519 public JWK. */
  readonly publicKey: Readonly<Record<string, unknown>>;
  readonly live: LivePolicySet;
  readonly clock: Clock;
  /** Poll interval, ms (`policyBundle.pollSeconds`, default 10 s). */
  readonly pollMs: number;
  /** Cap on a bundle's size, bytes. */
  readonly maxBytes: number;
  /** Deadline of one store read, ms; default 5000. */
  readonly readTimeoutMs?: number;
  readonly sink: AuditSink;
}

/** Polls the `current` pointer in the background and swaps verified bundles into the live set. */
export interface BundleRefresher {
  /**
   * Called on every decision, synchronously: starts a refresh when the poll interval has passed by
   * the clock and none is running, and returns at once. The decision never waits for it.
   */
  tick(): void;
  /** One refresh now (start-up, tests); resolves when done, never rejects. */
  refresh(): Promise<void>;
  /** Resolves when the refresh in progress (if any) is done; Workers keep it alive with `waitUntil`. */
  settled(): Promise<void>;
}

/**
 * Builds the refresher. A bundle that fails any check (see `BundleRefusal`) is refused with one
 * `policy_bundle` audit event, and the set deciding before keeps deciding; the same pointer move
 * is not fetched again until the pointer moves (a new publish or a rollback). A store error is
 * retried at the next poll, and audited once until the outcome changes.
 */
export function createBundleRefresher(opts: BundleRefresherOptions): BundleRefresher {
  const { live, clock, pollMs, sink } = opts;
  const readTimeoutMs = opts.readTimeoutMs ?? 5000;
  let key: Promise<BundleKey> | undefined;
  let nextAt = -Infinity;
  let inflight: Promise<void> | undefined;
  // the pointer move whose bundle was refused (seq and version: a wiped store restarts at seq 1): not fetched again
  let refused: string | undefined;
  // the last refusal audited, so a failing store writes one event, not one per poll
  let lastAudited: string | undefined;

  async function refreshOnce(): Promise<void> {
    const now = clock.now();
    let version: string | null = null;
    let seq: number | null = null;
    try {
      const store = await opts.store;
      const signal = AbortSignal.timeout(readTimeoutMs);
      const pointer = await store.readPointer(signal, now);
      if (pointer === null) return;
      version = pointer.version;
      seq = pointer.seq;
      if (pointer.version === live.version || `${pointer.seq}:${pointer.version}` === refused) return;
      const text = await store.readBundle(pointer.version, signal, now);
      if (text === null) throw new BundleError("bundle_missing", `no bundle stored for version \`${pointer.version.slice(0, 12)}\``);
      key ??= importBundleKey(opts.publicKey);
      const verified = await verifyBundle(text, await key, { maxBytes: opts.maxBytes, expectVersion: pointer.version });
      const before = live.version;
      live.swap(verified.policies);
      lastAudited = undefined;
      writeBundleEvent(sink, { event: "policy_bundle", outcome: "loaded", time: new Date(clock.now()).toISOString(), version, seq, deciding_version: before });
    } catch (e) {
      const error = e instanceof BundleError ? e : new BundleError("store_error", e instanceof Error ? e.message : String(e));
      if (error.reason !== "store_error" && seq !== null) refused = `${seq}:${version}`;
      const id = `${seq}:${error.reason}`;
      if (id === lastAudited) return;
      lastAudited = id;
      writeBundleEvent(sink, {
        event: "policy_bundle",
        outcome: "refused",
        time: new Date(clock.now()).toISOString(),
        version,
        seq,
        deciding_version: live.version,
        reason: error.reason,
        message: error.message,
      });
    }
  }

  function refresh(): Promise<void> {
    inflight ??= refreshOnce()
      .catch(() => undefined)
      .finally(() => {
        inflight = undefined;
      });
    return inflight;
  }

  return {
    tick: function tickBundleRefresh() {
      const now = clock.now();
      // a clock set back by more than one interval starts over rather than waiting it out
      if (inflight !== undefined || (now < nextAt && nextAt - now <= pollMs)) return;
      nextAt = now + pollMs;
      void refresh();
    },
    refresh,
    settled: () => inflight ?? Promise.resolve(),
  };
}
