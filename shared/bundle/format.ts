// The signed policy bundle (issue #18): a compact JWS (RFC 7515) signed with Ed25519 (RFC 8037),
// whose payload is the JSON below. The signature covers the exact bytes stored; nothing is
// re-serialised before it is checked.
import * as v from "valibot";

/** `typ` of the JWS header and `format` of the payload. */
export const BUNDLE_TYPE = "gatehouse-policy-bundle";
export { DEFAULT_BUNDLE_MAX_BYTES, DEFAULT_BUNDLE_PREFIX } from "./defaults.ts";
/** Signature algorithms accepted: Ed25519 only (jose names it `Ed25519`, RFC 8037 `EdDSA`). */
export const BUNDLE_ALGORITHMS = ["Ed25519", "EdDSA"];

/** What a bundle's payload holds. */
export interface BundlePayload {
  format: typeof BUNDLE_TYPE;
  /** The policy set's version (content hash); the pointer names the bundle by it. */
  version: string;
  /** When `gatehouse publish` signed it, Unix ms (informational). */
  createdAt: number;
  /** The compiled policy set as data (`shared/policy/bundle`), checked node by node at load. */
  ir: Record<string, unknown>;
}

/** The payload's outer shape; the IR inside is checked by `loadPolicyIr`. */
export const bundlePayloadSchema = v.strictObject({
  format: v.literal(BUNDLE_TYPE),
  version: v.pipe(v.string(), v.regex(/^[0-9a-f]{8,128}$/)),
  createdAt: v.pipe(v.number(), v.integer(), v.minValue(0)),
  ir: v.looseObject({ version: v.string() }),
});

/** The `current` pointer and each history entry: which version, the how-manyth move, when. */
export interface BundlePointer {
  version: string;
  /** Increases with every publish or rollback. */
  seq: number;
  /** Unix ms, by the publisher's clock. */
  at: number;
  /** What moved the pointer. */
  by: "publish" | "rollback";
}

export const bundlePointerSchema = v.strictObject({
  version: v.pipe(v.string(), v.regex(/^[0-9a-f]{8,128}$/)),
  seq: v.pipe(v.number(), v.integer(), v.minValue(1)),
  at: v.pipe(v.number(), v.integer(), v.minValue(0)),
  by: v.picklist(["publish", "rollback"]),
});

/** Store keys under `prefix` (default `gatehouse:bundle:`). */
export function bundleKeys(prefix: string) {
  return {
    current: `${prefix}current`,
    bundle: (version: string) => `${prefix}v:${version}`,
    bundles: `${prefix}v:`,
    // zero-padded so a store's list sorts them in order
    history: (seq: number) => `${prefix}h:${String(seq).padStart(10, "0")}`,
    histories: `${prefix}h:`,
  };
}

