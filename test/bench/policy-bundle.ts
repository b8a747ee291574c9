// The policy bundle (issue #18) against the generated module: decision time on the medium and large
// sets, each decider in a process of its own and the two taking turns over rounds (as policy-eval.ts),
// and the time to build the large set from its IR bytes. Both forms must decide alike first.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadPolicyIr } from "../../shared/policy/bundle/index.ts";
import { compilePolicies, loadPolicyModule } from "../../tools/compiler/index.ts";
import { signBundle, type BundlePrivateJwk } from "../../tools/bundle/sign.ts";
import { exportJWK, generateKeyPair } from "jose";
import { interleave, ratios, runIsolated, spread } from "./isolated.ts";
import { ROLES, large, medium, requests } from "./policy-eval.ts";

const FIGURE_SCRIPT = fileURLToPath(new URL("./policy-bundle-figure.ts", import.meta.url));

/** One row: CPU ns per decision of each form, and bundle / module (median of per-round ratios). */
export interface PolicyBundleRow {
  set: string;
  policies: number;
  module_ns: number;
  bundle_ns: number;
  ratio: number;
  ratio_range: [number, number];
  ir_bytes: number;
}

async function benchSet(name: string, text: string, tenants: number, quick: boolean, dir: string): Promise<PolicyBundleRow & { load_ms: number; signed_load_ms: number; signed_bytes: number }> {
  const compiled = compilePolicies({ policies: [{ file: `${name}.cedar`, text }], entities: ROLES });
  const irText = JSON.stringify(compiled.ir);
  const mod = await loadPolicyModule(compiled.source);
  const bundle = loadPolicyIr(JSON.parse(irText));
  for (const r of requests(tenants)) {
    const a = mod.evaluate(r.request, r.entities);
    const b = bundle.evaluate(r.request, r.entities);
    if (JSON.stringify(a) !== JSON.stringify(b)) throw new Error(`${name}: module and bundle differ on ${JSON.stringify(r.request)}`);
  }
  const moduleFile = join(dir, `${name}.js`);
  const irFile = join(dir, `${name}.ir.json`);
  writeFileSync(moduleFile, compiled.source);
  writeFileSync(irFile, irText);
  const args = (decider: string, file: string) => [decider, file, String(tenants), ...(quick ? ["--quick"] : [])];
  const samples = await interleave(
    { module: () => runIsolated(FIGURE_SCRIPT, args("module", moduleFile)), bundle: () => runIsolated(FIGURE_SCRIPT, args("bundle", irFile)) },
    quick ? 3 : 5,
  );
  const r = spread(ratios(samples.bundle, samples.module), 2);
  const loadUs = await runIsolated(FIGURE_SCRIPT, args("load", irFile));
  // the same from the signed bundle, as a running authorizer takes it from the store
  const { privateKey, publicKey } = await generateKeyPair("Ed25519", { extractable: true });
  const signed = await signBundle(compiled.ir, { ...(await exportJWK(privateKey)) } as BundlePrivateJwk, Date.now());
  const signedFile = join(dir, `${name}.jws`);
  writeFileSync(signedFile, signed.text);
  writeFileSync(`${signedFile}.pub.json`, JSON.stringify(await exportJWK(publicKey)));
  const signedUs = await runIsolated(FIGURE_SCRIPT, args("signed", signedFile));
  return {
    set: name,
    policies: compiled.policies.length,
    module_ns: spread(samples.module).median,
    bundle_ns: spread(samples.bundle).median,
    ratio: r.median,
    ratio_range: [r.min, r.max],
    ir_bytes: irText.length,
    load_ms: Math.round(loadUs / 100) / 10,
    signed_load_ms: Math.round(signedUs / 100) / 10,
    signed_bytes: signed.text.length,
  };
}

/** Bundle vs module decision time (medium, large) and the large set's load time from IR bytes. */
export async function benchPolicyBundle(opts: { quick: boolean }): Promise<{ rows: PolicyBundleRow[]; large_load_ms: number; large_signed_load_ms: number; large_signed_bytes: number; large_policies: number }> {
  const dir = mkdtempSync(join(tmpdir(), "gatehouse-bench-bundle-"));
  try {
    const m = await benchSet("medium", medium(), 8, opts.quick, dir);
    // Quick mode: 40 tenants (213 policies) rather than 250 (1053), as policy-eval.ts
    const tenants = opts.quick ? 40 : 250;
    const l = await benchSet("large", large(tenants), tenants, opts.quick, dir);
    const row = ({ load_ms: _l, signed_load_ms: _s, signed_bytes: _b, ...rest }: PolicyBundleRow & { load_ms: number; signed_load_ms: number; signed_bytes: number }): PolicyBundleRow => rest;
    return { rows: [row(m), row(l)], large_load_ms: l.load_ms, large_signed_load_ms: l.signed_load_ms, large_signed_bytes: l.signed_bytes, large_policies: l.policies };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
