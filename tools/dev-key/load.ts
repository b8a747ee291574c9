import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { exportJWK, generateKeyPair, importJWK, type CryptoKey, type JWK } from "jose";
import { ConfigError } from "../../shared/errors.ts";
import { DEV_KEY_FILE } from "./constants.ts";

export { DEV_AUDIENCE, DEV_ISSUER, DEV_KEY_FILE } from "./constants.ts";

/** The dev signing key, ready to sign and to publish. */
export interface DevKey {
  readonly alg: "ES256";
  readonly kid: string;
  readonly privateKey: CryptoKey;
  /** The public half with `kid`, `alg` and `use: "sig"`, for a JWKS. */
  readonly publicJwk: JWK;
  /** The file it was read from or written to. */
  readonly file: string;
  /** True when this call generated the key. */
  readonly created: boolean;
}

/** Options of `loadDevKey`. */
export interface LoadDevKeyOptions {
  /** The key file; default `.gatehouse/dev-key.json` under the current directory. */
  file?: string;
  /** Generate the key when the file is missing; default true (what `gatehouse dev` does on first start). */
  create?: boolean;
}

/**
 * Reads the dev key (a private ES256 JWK with `kid`), generating it on first use.
 * @throws ConfigError naming the file when it exists but does not hold a private ES256 JWK.
 */
export async function loadDevKey(options: LoadDevKeyOptions = {}): Promise<DevKey> {
  const file = options.file ?? DEV_KEY_FILE;
  if (!existsSync(file)) {
    if (options.create === false) throw new ConfigError(file, "expected a dev key file; run `gatehouse dev` or `gatehouse token` once to create it");
    return createDevKey(file);
  }
  let jwk: JWK;
  try {
    jwk = JSON.parse(readFileSync(file, "utf8")) as JWK;
  } catch {
    throw new ConfigError(file, "expected a JSON private JWK");
  }
  if (typeof jwk !== "object" || jwk === null || jwk.kty !== "EC" || jwk.crv !== "P-256" || typeof jwk.d !== "string" || typeof jwk.kid !== "string") {
    throw new ConfigError(file, "expected a private ES256 JWK with `kid` (delete the file to generate a new one)");
  }
  const privateKey = (await importJWK(jwk, "ES256")) as CryptoKey;
  return { alg: "ES256", kid: jwk.kid, privateKey, publicJwk: publicHalf(jwk), file, created: false };
}

async function createDevKey(file: string): Promise<DevKey> {
  const { privateKey } = await generateKeyPair("ES256", { extractable: true });
  const kid = `dev-${crypto.randomUUID().slice(0, 8)}`;
  const jwk: JWK = { ...(await exportJWK(privateKey)), kid, alg: "ES256", use: "sig" };
  mkdirSync(dirname(file), { recursive: true });
  // `wx`: two processes starting at once must not overwrite each other's key.
  try {
    writeFileSync(file, `${JSON.stringify(jwk, null, 2)}\n`, { flag: "wx", mode: 0o600 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return loadDevKey({ file, create: false });
    throw error;
  }
  chmodSync(file, 0o600);
  return { alg: "ES256", kid, privateKey, publicJwk: publicHalf(jwk), file, created: true };
}

function publicHalf(jwk: JWK): JWK {
  return { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y, kid: jwk.kid, alg: "ES256", use: "sig" };
}
