// Bundle verification (issue #18): each check has its own reason code.
import { CompactSign, importJWK } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import { BUNDLE_TYPE, BundleError, importBundleKey, verifyBundle, type BundleKey, type BundleRefusal } from "../../../shared/bundle/index.ts";
import type { PolicyIr } from "../../../shared/policy/bundle/index.ts";
import { signBundle, type BundlePrivateJwk } from "../../../tools/bundle/sign.ts";
import { bundleKeyPair, exampleIr } from "../../harness/policy-bundles.ts";

const NOW = Date.UTC(2026, 10, 22, 10, 0, 0);
let ir: PolicyIr;
let keys: Awaited<ReturnType<typeof bundleKeyPair>>;
let key: BundleKey;
let good: string;

beforeAll(async () => {
  ir = exampleIr();
  keys = await bundleKeyPair();
  key = await importBundleKey(keys.publicJwk);
  good = (await signBundle(ir, keys.privateJwk, NOW)).text;
});

async function refusal(text: string, opts: { maxBytes?: number; expectVersion?: string } = {}): Promise<{ reason: BundleRefusal; message: string }> {
  try {
    await verifyBundle(text, key, { maxBytes: opts.maxBytes ?? 1 << 22, ...(opts.expectVersion ? { expectVersion: opts.expectVersion } : {}) });
  } catch (e) {
    expect(e).toBeInstanceOf(BundleError);
    return { reason: (e as BundleError).reason, message: (e as BundleError).message };
  }
  throw new Error("verified");
}

// Signs an arbitrary payload with the right key, to reach the checks after the signature
async function signRaw(payload: unknown, privateJwk: BundlePrivateJwk, typ = BUNDLE_TYPE): Promise<string> {
  return new CompactSign(new TextEncoder().encode(typeof payload === "string" ? payload : JSON.stringify(payload)))
    .setProtectedHeader({ alg: "Ed25519", typ })
    .sign(await importJWK(privateJwk, "Ed25519"));
}

describe("verifyBundle: a good bundle", () => {
  it("verifies and builds the policy set of the signed version", async () => {
    const v = await verifyBundle(good, key, { maxBytes: 1 << 22, expectVersion: ir.version });
    expect(v.payload.version).toBe(ir.version);
    expect(v.payload.createdAt).toBe(NOW);
    expect(v.policies.version).toBe(ir.version);
    expect(v.policies.policies.map((p) => p.id)).toContain("viewers-read-orders");
  });
});

describe("verifyBundle: refusals, one reason each", () => {
  it("too_large: over maxBytes, before any parsing", async () => {
    expect((await refusal(good, { maxBytes: 1024 })).reason).toBe("too_large");
  });
  it("malformed: a truncated bundle", async () => {
    expect((await refusal(good.slice(0, Math.floor(good.length / 2)))).reason).toBe("malformed");
    expect((await refusal(good.slice(0, -1))).reason).toBe("malformed");
    expect((await refusal(good.slice(0, good.lastIndexOf(".")))).reason).toBe("malformed");
    expect((await refusal("not a jws")).reason).toBe("malformed");
  });
  it("signature_invalid: signed with another key", async () => {
    const other = await bundleKeyPair("other");
    const text = (await signBundle(ir, other.privateJwk, NOW)).text;
    expect(await refusal(text)).toEqual({ reason: "signature_invalid", message: "signature does not verify with the configured key" });
  });
  it("signature_invalid: one payload byte changed", async () => {
    const [h, p, s] = good.split(".");
    const flipped = p.slice(0, 10) + (p[10] === "A" ? "B" : "A") + p.slice(11);
    expect((await refusal(`${h}.${flipped}.${s}`)).reason).toBe("signature_invalid");
  });
  it("schema_invalid: a signed payload of the wrong shape", async () => {
    const r = await refusal(await signRaw({ format: BUNDLE_TYPE, version: ir.version, createdAt: NOW, ir: { ...ir, policies: "none" } }, keys.privateJwk));
    expect(r.reason).toBe("schema_invalid");
    expect(r.message).toMatch(/\$\.policies/);
    expect((await refusal(await signRaw({ format: "x", version: ir.version }, keys.privateJwk))).reason).toBe("schema_invalid");
    expect((await refusal(await signRaw("{not json", keys.privateJwk))).reason).toBe("schema_invalid");
    expect((await refusal(await signRaw({ format: BUNDLE_TYPE, version: ir.version, createdAt: NOW, ir }, keys.privateJwk, "JWT"))).reason).toBe("schema_invalid");
  });
  it("version_mismatch: the pointer names another version (a replayed old bundle)", async () => {
    expect((await refusal(good, { expectVersion: "ab".repeat(32) })).reason).toBe("version_mismatch");
  });
});

describe("verifyBundle: security", () => {
  it("refuses an unsigned (alg none) or HMAC bundle", async () => {
    const payload = Buffer.from(JSON.stringify({ format: BUNDLE_TYPE, version: ir.version, createdAt: NOW, ir })).toString("base64url");
    const none = `${Buffer.from(JSON.stringify({ alg: "none", typ: BUNDLE_TYPE })).toString("base64url")}.${payload}.`;
    expect((await refusal(none)).reason).toBe("malformed");
    const hs = `${Buffer.from(JSON.stringify({ alg: "HS256", typ: BUNDLE_TYPE })).toString("base64url")}.${payload}.${"A".repeat(86)}`;
    expect((await refusal(hs)).reason).toBe("signature_invalid");
  });
  it("refuses a private key as the configured key", async () => {
    await expect(importBundleKey(keys.privateJwk as never)).rejects.toThrow(/public JWK/);
  });
});
