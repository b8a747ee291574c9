import * as v from "valibot";
import type { RevocationStore } from "../revocation/store.ts";
import { BundleError } from "./errors.ts";
import { bundleKeys, bundlePointerSchema, type BundlePointer } from "./format.ts";

// Bundles and pointers should not expire; stores need a date, so: far away, within the signed
// 32-bit range that KV's `expiration` takes (2038-01-19)
const KEEP_SECONDS = 10 * 365 * 86_400;
const LATEST_EXPIRY = 2_147_483_000;
const expiryFrom = (nowMs: number): number => Math.min(Math.floor(nowMs / 1000) + KEEP_SECONDS, LATEST_EXPIRY);

/**
 * Policy bundles in a revocation store (KV, Redis, Upstash, DynamoDB, memory), under a prefix:
 * `v:VERSION` holds each signed bundle, `current` the pointer the authorizers poll, and `h:SEQ`
 * one entry per move of the pointer (the history `gatehouse bundles list` shows). Every time
 * comes from the caller (`nowMs`), as for revocations.
 */
export interface BundleStore {
  /** The pointer, or `null` when nothing was published. @throws BundleError `store_error` or `pointer_invalid` */
  readPointer(signal: AbortSignal, nowMs: number): Promise<BundlePointer | null>;
  /** The signed bundle text of a version, or `null`. @throws BundleError `store_error` */
  readBundle(version: string, signal: AbortSignal, nowMs: number): Promise<string | null>;
  /** Stores a signed bundle (before the pointer moves to it). */
  putBundle(version: string, text: string, nowMs: number): Promise<void>;
  /** Moves the pointer and records the move in the history. */
  movePointer(version: string, by: BundlePointer["by"], nowMs: number): Promise<BundlePointer>;
  /** Every move of the pointer, oldest first. */
  history(nowMs: number): Promise<BundlePointer[]>;
}

/** Parses a stored pointer. @throws BundleError `pointer_invalid` */
export function parsePointer(text: string): BundlePointer {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new BundleError("pointer_invalid", "the `current` pointer is not JSON");
  }
  const r = v.safeParse(bundlePointerSchema, json);
  if (!r.success) throw new BundleError("pointer_invalid", `the \`current\` pointer: ${r.issues[0].message}`);
  return r.output;
}

/** The bundle store over `store`, keys under `prefix`. */
export function createBundleStore(store: RevocationStore, prefix: string): BundleStore {
  const keys = bundleKeys(prefix);
  const read = async (key: string, signal: AbortSignal, nowMs: number): Promise<string | null> => {
    try {
      const [value] = await store.getMany([key], signal, nowMs);
      return value ?? null;
    } catch (e) {
      throw new BundleError("store_error", `${store.name}: ${e instanceof Error ? e.message : String(e)}`);
    }
  };
  const readPointer = async (signal: AbortSignal, nowMs: number): Promise<BundlePointer | null> => {
    const text = await read(keys.current, signal, nowMs);
    return text === null ? null : parsePointer(text);
  };
  return {
    readPointer,
    readBundle: (version, signal, nowMs) => read(keys.bundle(version), signal, nowMs),
    async putBundle(version, text, nowMs) {
      await store.put(keys.bundle(version), text, expiryFrom(nowMs));
    },
    async movePointer(version, by, nowMs) {
      const previous = await readPointer(AbortSignal.timeout(10_000), nowMs);
      const pointer: BundlePointer = { version, seq: (previous?.seq ?? 0) + 1, at: Math.floor(nowMs), by };
      const text = JSON.stringify(pointer);
      const expires = expiryFrom(nowMs);
      // history first: a pointer never names a move the history lacks
      await store.put(keys.history(pointer.seq), text, expires);
      await store.put(keys.current, text, expires);
      return pointer;
    },
    async history(nowMs) {
      const entries = await store.list(keys.histories, nowMs);
      const out: BundlePointer[] = [];
      for (const e of entries) {
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
