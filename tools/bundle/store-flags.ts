import { UsageError } from "../cli/command.ts";
import { DEFAULT_BUNDLE_PREFIX } from "../../shared/bundle/defaults.ts";
import type { BundleStore } from "./store.ts";
import { runWithStore } from "../revocation/run-with-store.ts";
import { storeFlags, storeUsageFor } from "../revocation/open-store.ts";

/** The store flags of `revoke` (and `s3`'s, which serve bundles only) plus `--prefix`, for `publish`, `rollback` and `bundles list`. */
export const bundleStoreFlags = { ...storeFlags, prefix: { type: "string" as const } };

export const bundleStoreUsage = `${storeUsageFor("policyBundle")}
  --prefix PREFIX                key prefix; default ${DEFAULT_BUNDLE_PREFIX} (policyBundle.prefix)`;

/** Opens the store the flags name as a bundle store, runs `action`, always closes it. */
export async function runWithBundleStore(values: Readonly<Record<string, unknown>>, action: (store: BundleStore, description: string) => Promise<number>): Promise<number> {
  const prefix = values.prefix ?? DEFAULT_BUNDLE_PREFIX;
  if (typeof prefix !== "string" || prefix === "") throw new UsageError("`--prefix` expects a non-empty key prefix");
  // Loaded when a command runs, not when `--help` lists the commands (the bundle format loads jose and valibot)
  const { createBundleStore } = await import("./store.ts");
  return runWithStore(values, ({ store, description }) => action(createBundleStore(store, prefix), description), "policyBundle");
}
