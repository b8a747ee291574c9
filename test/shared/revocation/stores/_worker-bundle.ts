import { fileURLToPath } from "node:url";
import { bundleWorkerEntry } from "../../../harness/bundle-worker.ts";

/** Bundles `_worker-entry.ts` (and with it shared/revocation and @upstash/redis) as a Worker module. */
export function bundleRevocationWorker(): Promise<string> {
  return bundleWorkerEntry(fileURLToPath(new URL("./_worker-entry.ts", import.meta.url)));
}
