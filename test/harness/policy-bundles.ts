// Policy bundles for tests (issue #18): the example project compiled to IR (optionally with an
// extra Cedar file), real Ed25519 keys, real signing, published to a real store.
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { exportJWK, generateKeyPair } from "jose";
import { createBundleStore } from "../../tools/bundle/store.ts";
import type { BundlePointer } from "../../shared/bundle/index.ts";
import type { PolicyIr } from "../../shared/policy/bundle/index.ts";
import type { RevocationStore } from "../../shared/revocation/index.ts";
import { compilePolicies, compilePolicyProject } from "../../tools/compiler/index.ts";
import { signBundle, type BundlePrivateJwk } from "../../tools/bundle/sign.ts";
import { repoRoot } from "./corpus.ts";

/** A broad deny: nobody may list orders. */
export const LOCKDOWN_CEDAR = `@id("lockdown-list-orders")\nforbid (principal, action == Action::"ListOrders", resource);\n`;

/** A harmless variant of the example set (one more forbid on an action nobody is granted), `n` making each version distinct. */
export function variantCedar(n: number): string {
  return `@id("variant-${n}")\nforbid (principal, action == Action::"DeleteOrder", resource) when { context.amr.contains("variant-${n}") };\n`;
}

/** The example policies (`policies/`) as IR, plus `extra` Cedar text as one more file. */
export function exampleIr(extra?: string): PolicyIr {
  const dir = join(repoRoot, "policies");
  const sources = readdirSync(dir).filter((f) => f.endsWith(".cedar")).sort().map((file) => ({ file, text: readFileSync(join(dir, file), "utf8") }));
  if (extra !== undefined) sources.push({ file: "zz-extra.cedar", text: extra });
  const entities = JSON.parse(readFileSync(join(dir, "entities.json"), "utf8")) as unknown[];
  return compilePolicies({ policies: sources, entities, schema: readFileSync(join(dir, "schema.cedarschema"), "utf8") }).ir;
}

/** A signing key pair: the private JWK for `signBundle`, the public one for `policyBundle.publicKey`. */
export async function bundleKeyPair(kid = "test"): Promise<{ privateJwk: BundlePrivateJwk; publicJwk: { kty: "OKP"; crv: "Ed25519"; x: string } }> {
  const { privateKey, publicKey } = await generateKeyPair("Ed25519", { extractable: true });
  const pub = await exportJWK(publicKey);
  return { privateJwk: { ...(await exportJWK(privateKey)), kid } as BundlePrivateJwk, publicJwk: { kty: "OKP", crv: "Ed25519", x: pub.x! } };
}

/** Stores `text` as the bundle of `version` and moves the pointer to it, as `gatehouse publish` does. */
export async function publishText(store: RevocationStore, version: string, text: string, nowMs: number, prefix = "gatehouse:bundle:"): Promise<BundlePointer> {
  const bundles = createBundleStore(store, prefix);
  await bundles.putBundle(version, text, nowMs);
  return bundles.movePointer(version, "publish", nowMs);
}

/** Signs `ir` with `key` and publishes it. */
export async function publishIr(store: RevocationStore, ir: PolicyIr, key: BundlePrivateJwk, nowMs: number): Promise<{ pointer: BundlePointer; text: string }> {
  const { text } = await signBundle(ir, key, nowMs);
  return { pointer: await publishText(store, ir.version, text, nowMs), text };
}

/**
 * The files the publish/rollback e2e tests hand to the CLI and the server, written into `work`:
 * `key.json` (the signing key), `base.ir.json` (the example set), `lockdown.ir.json` (the example set
 * with `LOCKDOWN_CEDAR`) and `policies.mjs` (the example set compiled, deciding until a bundle arrives).
 */
export function writeBundleFiles(work: string, privateJwk: BundlePrivateJwk): { base: PolicyIr; lockdown: PolicyIr } {
  const base = exampleIr();
  const lockdown = exampleIr(LOCKDOWN_CEDAR);
  writeFileSync(join(work, "key.json"), JSON.stringify(privateJwk));
  writeFileSync(join(work, "base.ir.json"), JSON.stringify(base));
  writeFileSync(join(work, "lockdown.ir.json"), JSON.stringify(lockdown));
  compilePolicyProject({ policiesDir: join(repoRoot, "policies"), outFile: join(work, "policies.mjs") });
  return { base, lockdown };
}
