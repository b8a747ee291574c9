import { ConfigError } from "../errors.ts";
import { resolveStoreConfig, type RevocationStoreConfig } from "../revocation/config.ts";
import { DEFAULT_BUNDLE_MAX_BYTES, DEFAULT_BUNDLE_PREFIX } from "./format.ts";

/**
 * `policyBundle`: policy updates without a code deploy (issue #18). The authorizer polls `store`
 * for the `current` pointer that `gatehouse publish` moves, verifies the bundle it names against
 * `publicKey`, and swaps it in; until then, and whenever a bundle is refused, the policy module
 * bundled at build time decides. Absent or `null`: the build-time module only.
 */
export interface PolicyBundleConfig {
  /** Where bundles are published: the same kinds as `revocation.store` (KV, Redis, Upstash, DynamoDB, memory). */
  readonly store: RevocationStoreConfig;
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
  readonly store: RevocationStoreConfig;
  readonly publicKey: Readonly<Record<string, unknown>>;
  readonly pollMs: number;
  readonly maxBytes: number;
  readonly prefix: string;
}

const FIELDS = ["store", "publicKey", "pollSeconds", "maxBytes", "prefix"];

function intIn(v: unknown, path: string, fallback: number, min: number, max: number): number {
  if (v === undefined) return fallback;
  if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) throw new ConfigError(path, `expected an integer from ${min} to ${max}, got \`${String(v)}\``);
  return v;
}

/** Checks `policyBundle`; `null` when absent or `null`. @throws ConfigError naming the field */
export function resolvePolicyBundleConfig(raw: unknown, path = "policyBundle"): ResolvedPolicyBundleConfig | null {
  if (raw === undefined || raw === null) return null;
  if (typeof raw !== "object" || Array.isArray(raw)) throw new ConfigError(path, "expected an object `{ store, publicKey }`, or `null`");
  const o = raw as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!FIELDS.includes(k)) throw new ConfigError(`${path}.${k}`, `unknown option; expected one of ${FIELDS.map((f) => `\`${f}\``).join(", ")}`);
  const key = o.publicKey as Record<string, unknown> | undefined;
  if (typeof key !== "object" || key === null || key.kty !== "OKP" || key.crv !== "Ed25519" || typeof key.x !== "string" || !/^[A-Za-z0-9_-]{43}$/.test(key.x)) {
    throw new ConfigError(`${path}.publicKey`, "expected an Ed25519 public JWK `{ kty: \"OKP\", crv: \"Ed25519\", x }`");
  }
  if (key.d !== undefined) throw new ConfigError(`${path}.publicKey.d`, "expected a public key: remove the private part `d`");
  const prefix = o.prefix ?? DEFAULT_BUNDLE_PREFIX;
  if (typeof prefix !== "string" || prefix === "" || prefix.length > 128) throw new ConfigError(`${path}.prefix`, "expected a key prefix of 1 to 128 characters");
  return Object.freeze({
    store: resolveStoreConfig(o.store, `${path}.store`),
    publicKey: Object.freeze({ kty: "OKP", crv: "Ed25519", x: key.x }),
    pollMs: intIn(o.pollSeconds, `${path}.pollSeconds`, 10, 1, 3600) * 1000,
    maxBytes: intIn(o.maxBytes, `${path}.maxBytes`, DEFAULT_BUNDLE_MAX_BYTES, 1024, 25 * 1024 * 1024),
    prefix,
  });
}
