import * as v from "valibot";
import type { RevocationStore } from "../revocation/store.ts";
import { BundleError } from "./errors.ts";
import { bundleKeys, bundlePointerSchema, type BundlePointer } from "./format.ts";

/**
 * The authorizer's side of the bundle store (issue #18): policy bundles in a revocation store (KV,
 * Redis, Upstash, DynamoDB, memory) under a prefix, `v:VERSION` holding each signed bundle and
 * `current` the pointer. Reads only: publishing lives in the CLI (`tools/bundle/store.ts`), so a
 * Worker carries no writer. Every time comes from the caller (`nowMs`), as for revocations.
 */
export interface BundleReader {
  /** The pointer, or `null` when nothing was published. @throws BundleError `store_error` or `pointer_invalid` */
  readPointer(signal: AbortSignal, nowMs: number): Promise<BundlePointer | null>;
  /** The signed bundle text of a version, or `null`. @throws BundleError `store_error` */
  readBundle(version: string, signal: AbortSignal, nowMs: number): Promise<string | null>;
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

/** Reads bundles from `store`, keys under `prefix`. */
export function createBundleReader(store: RevocationStore, prefix: string): BundleReader {
  const keys = bundleKeys(prefix);
  const read = async (key: string, signal: AbortSignal, nowMs: number): Promise<string | null> => {
    try {
      const [value] = await store.getMany([key], signal, nowMs);
      return value ?? null;
    } catch (e) {
      throw new BundleError("store_error", `${store.name}: ${e instanceof Error ? e.message : String(e)}`);
    }
  };
  return {
    readPointer: async (signal, nowMs) => {
      const text = await read(keys.current, signal, nowMs);
      return text === null ? null : parsePointer(text);
    },
    readBundle: (version, signal, nowMs) => read(keys.bundle(version), signal, nowMs),
  };
}
