// What the feature-gated build tests check of a Worker or Lambda bundle: the optional features'
// code is absent from a build for a configuration that names none, and present in a build with all.
import { readFileSync } from "node:fs";
import { expect } from "vitest";

/** Every optional feature, in the order the builds report them. */
export const ALL_FEATURES = ["entities", "policyBundle", "rollout", "introspection", "discovery"];

// A string of each feature's own code: entity records, the bundle reader, introspection, discovery
const FEATURE_MARKERS = ["too many parents", "pointer_invalid", "token_type_hint", "jwks_uri"];

/** Asserts `gated` holds none of the features' code that `all` holds, and is at least 8 KiB gzip smaller. */
export function expectFeaturesLeftOut(gated: { file: string; gzipBytes: number }, all: { file: string; gzipBytes: number }): void {
  const code = readFileSync(gated.file, "utf8");
  const allCode = readFileSync(all.file, "utf8");
  for (const marker of FEATURE_MARKERS) {
    expect(allCode).toContain(marker);
    expect(code).not.toContain(marker);
  }
  expect(gated.gzipBytes).toBeLessThan(all.gzipBytes - 8 * 1024);
}
