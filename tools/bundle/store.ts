// The publisher's side of the bundle store (issue #18): what `gatehouse publish`, `rollback` and
// `bundles list` write and read, over any revocation store kind.
import { bundleKeys, createBundleReader, parsePointer, type BundlePointer, type BundleReader } from "../../shared/bundle/index.ts";
import type { RevocationStore } from "../../shared/revocation/index.ts";

// Bundles and pointers should not expire; stores need a date, so: far away, within the signed
// 32-bit range that KV's `expiration` takes (2038-01-19)
const KEEP_SECONDS = 10 * 365 * 86_400;
const LATEST_EXPIRY = 2_147_483_000;
const expiryFrom = (nowMs: number): number => Math.min(Math.floor(nowMs / 1000) + KEEP_SECONDS, LATEST_EXPIRY);

/** The reader plus writes: `v:VERSION` bundles, the `current` pointer, and `h:SEQ`, one entry per move. */
export interface BundleStore extends BundleReader {
  /** Stores a signed bundle (before the pointer moves to it). */
  putBundle(version: string, text: string, nowMs: number): Promise<void>;
  /** Moves the pointer and records the move in the history. */
  movePointer(version: string, by: BundlePointer["by"], nowMs: number): Promise<BundlePointer>;
  /** Every move of the pointer, oldest first. */
  history(nowMs: number): Promise<BundlePointer[]>;
}

/** The bundle store over `store`, keys under `prefix`. Every time comes from the caller. */
export function createBundleStore(store: RevocationStore, prefix: string): BundleStore {
  const keys = bundleKeys(prefix);
  const reader = createBundleReader(store, prefix);
  return {
    ...reader,
    async putBundle(version, text, nowMs) {
      await store.put(keys.bundle(version), text, expiryFrom(nowMs));
    },
    async movePointer(version, by, nowMs) {
      const previous = await reader.readPointer(AbortSignal.timeout(10_000), nowMs);
      const pointer: BundlePointer = { version, seq: (previous?.seq ?? 0) + 1, at: Math.floor(nowMs), by };
      const text = JSON.stringify(pointer);
      // history first: a pointer never names a move the history lacks
      await store.put(keys.history(pointer.seq), text, expiryFrom(nowMs));
      await store.put(keys.current, text, expiryFrom(nowMs));
      return pointer;
    },
    async history(nowMs) {
      const out: BundlePointer[] = [];
      for (const e of await store.list(keys.histories, nowMs)) {
        try {
          out.push(parsePointer(e.value));
        } catch {
          // a foreign key under the prefix is not history
        }
      }
      return out.sort((a, b) => a.seq - b.seq);
    },
  };
}
