import { SignJWT, exportJWK, generateKeyPair, type JWK, type JWTPayload, type CryptoKey } from "jose";

export type TestAlgorithm = "RS256" | "PS256" | "ES256" | "ES384" | "EdDSA";

export interface TestKey {
  readonly alg: TestAlgorithm;
  readonly kid: string;
  readonly privateKey: CryptoKey;
  /** The public key as a JWK with `kid`, `alg` and `use: "sig"`, ready for a JWKS. */
  readonly publicJwk: JWK;
}

/** Generates a real key pair for signing test tokens. */
export async function createTestKey(alg: TestAlgorithm, kid = `${alg.toLowerCase()}-${crypto.randomUUID().slice(0, 8)}`): Promise<TestKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true, ...(alg === "EdDSA" ? { crv: "Ed25519" } : {}) });
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg, use: "sig" };
  return { alg, kid, privateKey, publicJwk };
}

export interface MintOptions {
  issuer?: string;
  audience?: string | string[];
  subject?: string;
  /** Lifetime in seconds from `now`; default 300. */
  ttlSeconds?: number;
  /** Seconds since the epoch; default the system clock. */
  now?: number;
  /** Extra protected-header fields (e.g. `typ`, or hostile `jku` in security tests). */
  header?: Record<string, unknown>;
}

/** Mints a real signed JWT (compact JWS) with `iat`, `exp` and a random `jti`. */
export async function mintToken(key: TestKey, claims: JWTPayload = {}, options: MintOptions = {}): Promise<string> {
  const now = options.now ?? Math.floor(Date.now() / 1000);
  const jwt = new SignJWT({ jti: crypto.randomUUID(), ...claims })
    .setProtectedHeader({ ...options.header, alg: key.alg, kid: key.kid })
    .setIssuedAt(now)
    .setExpirationTime(now + (options.ttlSeconds ?? 300));
  if (options.issuer) jwt.setIssuer(options.issuer);
  if (options.audience) jwt.setAudience(options.audience);
  if (options.subject) jwt.setSubject(options.subject);
  return jwt.sign(key.privateKey);
}
