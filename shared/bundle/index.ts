// Policy updates without a code deploy (issue #18): signed bundles in a store, a pointer the
// authorizers poll, and a live policy set they swap atomically.
export { BundleError, type BundleRefusal } from "./errors.ts";
export { BUNDLE_ALGORITHMS, BUNDLE_TYPE, DEFAULT_BUNDLE_MAX_BYTES, DEFAULT_BUNDLE_PREFIX, bundleKeys, bundlePayloadSchema, bundlePointerSchema, type BundlePayload, type BundlePointer } from "./format.ts";
export { importBundleKey, verifyBundle, type BundleKey, type VerifiedBundle } from "./verify.ts";
export { createBundleReader, parsePointer, type BundleReader } from "./store.ts";
export { createLivePolicySet, isLivePolicySet, type LivePolicySet } from "./live-set.ts";
export { createBundleRefresher, type BundleRefresher, type BundleRefresherOptions } from "./refresh.ts";
export { writeBundleEvent, type PolicyBundleEvent } from "./audit-event.ts";
export { resolvePolicyBundleConfig, type PolicyBundleConfig, type ResolvedPolicyBundleConfig } from "./config.ts";
