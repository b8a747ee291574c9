import type { ClientIpMode } from "./client-ip.ts";
import type { PolicyErrorDetail } from "./compare-shadow.ts";
import { expectObject, refuseUnknownOptions } from "../config/fields.ts";
import { ConfigError } from "../errors.ts";
import { createHmacSha256, type KeyedHash } from "./keyed-hash.ts";

/** The `audit` section of the Gatehouse config. Every option is optional; the defaults are safe. */
export interface AuditConfig {
  /** How `client_ip` is written; default `truncate` (/24 for IPv4, /48 for IPv6). */
  readonly clientIp?: ClientIpMode;
  /**
   * Secret key for `clientIp: "hash"` (HMAC-SHA-256, first 128 bits in hex); required in that mode,
   * at least 16 characters. Keep it secret and stable: rotating it unlinks old and new hashes.
   */
  readonly clientIpSalt?: string;
  /** Token claims copied into `claims`; default none, at most 32 names. Never put secrets here. */
  readonly claims?: readonly string[];
  /** Whether `path` keeps the query string; default `false` (query strings often carry secrets). */
  readonly includeQuery?: boolean;
  /**
   * Fraction of allow lines written, from 0 to 1; default 1. Deny lines, allow lines with policy
   * errors and shadow disagreements are always written.
   */
  readonly allowSampleRate?: number;
  /** Whether policy errors carry their message (`message`) or only the policy id (`id`, default). */
  readonly policyErrorDetail?: PolicyErrorDetail;
  /**
   * Longest string copied from the request or token (path, principal, jti, iss, action, resource),
   * in characters, from 16 to 8192; default 512. Longer values are cut and end in `…`.
   */
  readonly maxFieldLength?: number;
  /**
   * Whether lines that reached the policies carry `replay`: the principal entity and the policy
   * context, so `gatehouse replay` can decide them again without the token (#18). Default `false`.
   * The principal's attributes are written in full (they are what policies read); the client
   * address only with `clientIp: "keep"`.
   */
  readonly replay?: boolean;
}

/** An `AuditConfig` checked once at start, with defaults filled in and the hash key prepared. */
export interface ResolvedAuditConfig {
  readonly clientIp: ClientIpMode;
  readonly clientIpHash: KeyedHash | undefined;
  readonly claims: readonly string[];
  readonly includeQuery: boolean;
  readonly allowSampleRate: number;
  readonly policyErrorDetail: PolicyErrorDetail;
  readonly maxFieldLength: number;
  /** Whether lines carry `replay`. */
  readonly replay: boolean;
}

const KNOWN = ["clientIp", "clientIpSalt", "claims", "includeQuery", "allowSampleRate", "policyErrorDetail", "maxFieldLength", "replay"];
const CLIENT_IP_MODES: readonly ClientIpMode[] = ["keep", "truncate", "hash", "omit"];
const ERROR_DETAILS: readonly PolicyErrorDetail[] = ["id", "message"];
const MAX_CLAIMS = 32;

/**
 * Checks an audit config and fills in defaults; throws a `ConfigError` naming the first bad field.
 * The caller's object is not changed or kept.
 */
export function resolveAuditConfig(config: AuditConfig | undefined, field = "audit"): ResolvedAuditConfig {
  if (config === undefined || config === null) config = {};
  expectObject(config, field);
  refuseUnknownOptions(config, field, KNOWN);

  const clientIp = config.clientIp ?? "truncate";
  if (!CLIENT_IP_MODES.includes(clientIp)) {
    throw new ConfigError(`${field}.clientIp`, `expected one of \`keep\`, \`truncate\`, \`hash\`, \`omit\`, got \`${String(clientIp)}\``);
  }
  let clientIpHash: KeyedHash | undefined;
  if (clientIp === "hash") {
    const salt = config.clientIpSalt;
    if (typeof salt !== "string" || salt.length < 16) {
      throw new ConfigError(`${field}.clientIpSalt`, "expected a secret string of at least 16 characters for `clientIp: hash`");
    }
    clientIpHash = createHmacSha256(salt, 32);
  } else if (config.clientIpSalt !== undefined && typeof config.clientIpSalt !== "string") {
    throw new ConfigError(`${field}.clientIpSalt`, "expected a string");
  }

  const claimsIn = config.claims ?? [];
  if (!Array.isArray(claimsIn)) throw new ConfigError(`${field}.claims`, "expected an array of claim names");
  if (claimsIn.length > MAX_CLAIMS) throw new ConfigError(`${field}.claims`, `expected at most ${MAX_CLAIMS} claim names, got ${claimsIn.length}`);
  const claims: string[] = [];
  for (let i = 0; i < claimsIn.length; i++) {
    const name: unknown = claimsIn[i];
    if (typeof name !== "string" || name.length === 0 || name.length > 256) {
      throw new ConfigError(`${field}.claims[${i}]`, "expected a claim name of 1 to 256 characters");
    }
    if (!claims.includes(name)) claims.push(name);
  }

  const includeQuery = config.includeQuery ?? false;
  if (typeof includeQuery !== "boolean") throw new ConfigError(`${field}.includeQuery`, "expected `true` or `false`");

  const allowSampleRate = config.allowSampleRate ?? 1;
  if (typeof allowSampleRate !== "number" || !(allowSampleRate >= 0 && allowSampleRate <= 1)) {
    throw new ConfigError(`${field}.allowSampleRate`, `expected a number from 0 to 1, got \`${String(allowSampleRate)}\``);
  }

  const policyErrorDetail = config.policyErrorDetail ?? "id";
  if (!ERROR_DETAILS.includes(policyErrorDetail)) {
    throw new ConfigError(`${field}.policyErrorDetail`, `expected \`id\` or \`message\`, got \`${String(policyErrorDetail)}\``);
  }

  const maxFieldLength = config.maxFieldLength ?? 512;
  if (!Number.isInteger(maxFieldLength) || maxFieldLength < 16 || maxFieldLength > 8192) {
    throw new ConfigError(`${field}.maxFieldLength`, `expected an integer from 16 to 8192, got \`${String(maxFieldLength)}\``);
  }

  const replay = config.replay ?? false;
  if (typeof replay !== "boolean") throw new ConfigError(`${field}.replay`, "expected `true` or `false`");

  return Object.freeze({
    replay,
    clientIp,
    clientIpHash,
    claims: Object.freeze(claims),
    includeQuery,
    allowSampleRate,
    policyErrorDetail,
    maxFieldLength,
  });
}
