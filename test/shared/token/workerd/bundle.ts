// Bundles the test Worker with esbuild (once per process) for Miniflare.
import { fileURLToPath } from "node:url";
import { bundleWorkerEntry } from "../../../harness/bundle-worker.ts";

let bundled: Promise<string> | undefined;

/** The ES-module source of `entry.ts` with shared/token and jose inlined. */
export function workerScript(): Promise<string> {
  bundled ??= bundleWorkerEntry(fileURLToPath(new URL("./entry.ts", import.meta.url)));
  return bundled;
}
