import { readFileSync } from "node:fs";
import { UsageError } from "../cli/command.ts";
import { isBundlePrivateJwk, type BundlePrivateJwk } from "./sign.ts";

/** Reads the signing key: `--key FILE`, else `GATEHOUSE_BUNDLE_KEY_FILE`. The key is never printed. */
export function readSigningKey(file: string | undefined, env: NodeJS.ProcessEnv = process.env): BundlePrivateJwk {
  const path = file ?? env.GATEHOUSE_BUNDLE_KEY_FILE;
  if (path === undefined || path === "") throw new UsageError("no signing key: pass `--key FILE` (an Ed25519 private JWK from `gatehouse bundles keygen`) or set `GATEHOUSE_BUNDLE_KEY_FILE`");
  let jwk: unknown;
  try {
    jwk = JSON.parse(readFileSync(path, "utf8"));
  } catch {
    throw new UsageError(`\`${path}\`: expected a readable JSON file holding an Ed25519 private JWK`);
  }
  if (!isBundlePrivateJwk(jwk)) throw new UsageError(`\`${path}\`: expected an Ed25519 private JWK (\`kty: OKP\`, \`crv: Ed25519\`, \`x\`, \`d\`)`);
  return jwk;
}
