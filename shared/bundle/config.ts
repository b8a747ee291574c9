import { ConfigError } from "../errors.ts";
import type { StoreConfig } from "../revocation/config.ts";
import { resolveStoreConfig } from "../revocation/config.ts";
import { DEFAULT_BUNDLE_MAX_BYTES, DEFAULT_BUNDLE_PREFIX } from "./format.ts";

/**
 * `policyBundle`: policy updates without a code deploy (issue #18). The authorizer polls `store`
 * for the `current` pointer that `gatehouse publish` moves, verifies the bundle it names against
 * `publicKey`, and swaps it in; until then, and whenever a bundle is refused, the policy module
 * bundled at build time decides. Absent or `null`: the build-time module only.
 */
export interface PolicyBundleConfig {
  /** Where bundles are published: the kinds of `revocation.store` (KV, Redis, Upstash, DynamoDB, HTTP, memory), or `s3`. */
  readonly store: StoreConfig;
  /** The Ed25519 public key bundles must be signed with, as a JWK (`{ kty: "OKP", crv: "Ed25519", x }`). */
  readonly publicKey: { readonly kty: "OKP"; readonly crv: "Ed25519"; readonly x: string; readonly kid?: string };
  /** Seconds between two polls of the pointer; default 10, from 1 to 3600. */
  readonly pollSeconds?: number;
  /** Largest bundle accepted, in bytes; default 4 MiB, from 1 KiB to 25 MiB. */
  readonly maxBytes?: number;
  /** Key prefix in the store; default `gatehouse:bundle:`. */
  readonly prefix?: string;
}

/** `policyBundle` after validation, defaults filled in. */
export interface ResolvedPolicyBundleConfig {
  readonly store: StoreConfig;
  readonly publicKey: Readonly<Record<string, unknown>>;
  readonly pollMs: number;
  readonly maxBytes: number;
  readonly prefix: string;
}

/**
 * Fills in `policyBundle`'s defaults; `null` when absent or `null`. Bounds and shapes are the
 * config schema's (`shared/config/schema.ts`), which `validateConfig` applies to the whole file
 * before anything starts. @throws ConfigError for a store section or a private key
 */
export function resolvePolicyBundleConfig(raw: unknown, path = "policyBundle"): ResolvedPolicyBundleConfig | null {
  if (raw === undefined || raw === null) return null;
  const o = raw as Partial<PolicyBundleConfig> & { publicKey?: Record<string, unknown> };
  // the one mistake the schema would report obscurely: a private key pasted as the public one
  if (o.publicKey?.d !== undefined) throw new ConfigError(`${path}.publicKey.d`, "expected a public key: remove the private part `d`");
  return Object.freeze({
    store: resolveStoreConfig(o.store, `${path}.store`, "policyBundle"),
    publicKey: Object.freeze({ kty: "OKP", crv: "Ed25519", x: o.publicKey?.x }),
    pollMs: (o.pollSeconds ?? 10) * 1000,
    maxBytes: o.maxBytes ?? DEFAULT_BUNDLE_MAX_BYTES,
    prefix: o.prefix ?? DEFAULT_BUNDLE_PREFIX,
  });
}
