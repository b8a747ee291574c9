// Token builders for the token stage's tests: HMAC service tokens and deliberately hostile tokens
// (unsigned, forged headers, tampered parts). Never used outside tests.
import { CompactSign, SignJWT, base64url, type CryptoKey, type JWTPayload } from "jose";

export type HmacAlgorithm = "HS256" | "HS384" | "HS512";

/** Mints an HMAC-signed JWT with `iat`, `exp` and the given claims; `secret` is used as raw bytes. */
export async function mintHmacToken(
  secret: string | Uint8Array,
  claims: JWTPayload,
  options: { alg?: HmacAlgorithm; now: number; ttlSeconds?: number; header?: Record<string, unknown> },
): Promise<string> {
  const key = typeof secret === "string" ? new TextEncoder().encode(secret) : secret;
  return new SignJWT({ ...claims })
    .setProtectedHeader({ ...options.header, alg: options.alg ?? "HS256" })
    .setIssuedAt(options.now)
    .setExpirationTime(options.now + (options.ttlSeconds ?? 300))
    .sign(key);
}

/** Signs an arbitrary header and payload (no claim defaults): for tokens jose's JWT builder refuses to make. */
export async function signRaw(
  header: Record<string, unknown> & { alg: string },
  payload: unknown,
  key: CryptoKey | Uint8Array,
  crit: Record<string, boolean> = {},
): Promise<string> {
  return new CompactSign(new TextEncoder().encode(JSON.stringify(payload))).setProtectedHeader(header as never).sign(key, { crit });
}

/** Builds an unsigned token (`alg: none` style) from a header and payload; the signature part is empty. */
export function unsignedToken(header: Record<string, unknown>, payload: unknown): string {
  return `${encodeJson(header)}.${encodeJson(payload)}.`;
}

/** base64url of a JSON value. */
export function encodeJson(value: unknown): string {
  return base64url.encode(JSON.stringify(value));
}

/** Replaces a token's payload with `mutate(payload)`, keeping the original header and signature. */
export function tamperPayload(token: string, mutate: (payload: Record<string, unknown>) => Record<string, unknown>): string {
  const [header, payload, signature] = token.split(".");
  const decoded = JSON.parse(new TextDecoder().decode(base64url.decode(payload))) as Record<string, unknown>;
  return `${header}.${encodeJson(mutate(decoded))}.${signature}`;
}

/** Replaces a token's header with `mutate(header)`, keeping the payload and signature. */
export function tamperHeader(token: string, mutate: (header: Record<string, unknown>) => Record<string, unknown>): string {
  const [header, payload, signature] = token.split(".");
  const decoded = JSON.parse(new TextDecoder().decode(base64url.decode(header))) as Record<string, unknown>;
  return `${encodeJson(mutate(decoded))}.${payload}.${signature}`;
}
