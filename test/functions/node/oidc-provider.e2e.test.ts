// End to end (issue #20): the forward-auth server as deployed (startFromEnv), trusting the local
// OpenID provider by discovery, asked by a Traefik-style proxy about requests carrying the
// provider's JWT, opaque and DPoP-bound tokens, and a certificate the proxy passes on.
import { request as httpRequest } from "node:http";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFromEnv } from "../../../functions/node/main.ts";
import type { ForwardAuthServer } from "../../../functions/node/index.ts";
import { memorySink } from "../../../shared/audit/index.ts";
import { compilePolicyProject } from "../../../tools/compiler/index.ts";
import { repoRoot } from "../../harness/corpus.ts";
import { INTROSPECTOR_CLIENT, JWT_RESOURCE, OPAQUE_RESOURCE, createDpopKey, dpopProof, startOidcProvider, type OidcProviderServer } from "../../harness/oidc-provider.ts";

const PATH = "/tenants/acme/orders";
const HOST = "api.gatehouse.test";
let op: OidcProviderServer;
let work: string;
let server: ForwardAuthServer & { readonly opsUrl: string | null };
const audit = memorySink();
const pem = readFileSync(join(repoRoot, "test/shared/token/fixtures/client-cert.pem"), "utf8");

beforeAll(async () => {
  op = await startOidcProvider();
  mkdirSync(join(repoRoot, ".gatehouse"), { recursive: true });
  work = mkdtempSync(join(repoRoot, ".gatehouse", "test-forward-auth-oidc-"));
  writeFileSync(join(work, "config.json"), JSON.stringify({
    token: {
      issuers: [{
        issuer: op.issuer, audience: [JWT_RESOURCE, OPAQUE_RESOURCE], algorithms: ["ES256"], discovery: { allowLoopbackHttp: true }, jwksTimeoutMs: 10_000,
        introspection: { endpoint: op.introspectionEndpoint, clientId: INTROSPECTOR_CLIENT.id, clientAuth: "client_secret_basic", clientSecret: INTROSPECTOR_CLIENT.secret, deadlineMs: 5000 },
      }],
    },
    revocation: { store: { kind: "memory" } },
  }));
  compilePolicyProject({ policiesDir: join(repoRoot, "policies"), outFile: join(work, "policies.mjs") });
  server = await startFromEnv({
    GATEHOUSE_CONFIG_FILE: join(work, "config.json"), GATEHOUSE_POLICIES: join(work, "policies.mjs"), GATEHOUSE_ROUTES_FILE: join(repoRoot, "policies", "routes.json"),
    PORT: "0", GATEHOUSE_OPS_PORT: "0", GATEHOUSE_PROXY: "traefik", GATEHOUSE_CLIENT_CERT_HEADER: "X-Forwarded-Tls-Client-Cert",
  }, { auditSink: audit });
}, 60_000);
afterAll(async () => {
  await server?.close();
  await op?.stop();
  rmSync(work, { recursive: true, force: true });
});

// Traefik's forwardAuth: the original method, URI, host and scheme in X-Forwarded-* headers
function ask(headers: Record<string, string>, method = "GET") {
  const all = { "x-forwarded-method": method, "x-forwarded-uri": PATH, "x-forwarded-host": HOST, "x-forwarded-proto": "https", ...headers };
  return new Promise<{ status: number; headers: Record<string, string | string[] | undefined> }>((resolve, reject) => {
    const req = httpRequest(`${server.url}/`, { method: "GET", headers: all }, (res) => {
      res.resume();
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
    });
    req.on("error", reject);
    req.end();
  });
}

describe("forward-auth with the provider's tokens", () => {
  it("allows the provider's JWT and opaque tokens", async () => {
    expect((await ask({ authorization: `Bearer ${await op.token(JWT_RESOURCE)}` })).status).toBe(200);
    expect((await ask({ authorization: `Bearer ${await op.token(OPAQUE_RESOURCE)}` })).status).toBe(200);
  });

  it("allows a DPoP-bound token with a proof for the URL the proxy names, and refuses one for another method", async () => {
    const key = await createDpopKey();
    const token = await op.token(JWT_RESOURCE, key);
    const url = `https://${HOST}${PATH}`;
    expect((await ask({ authorization: `DPoP ${token}`, dpop: await dpopProof(key, { method: "GET", url, accessToken: token }) })).status).toBe(200);
    const wrong = await ask({ authorization: `DPoP ${token}`, dpop: await dpopProof(key, { method: "DELETE", url, accessToken: token }) });
    expect(wrong.status).toBe(401);
    expect(wrong.headers["www-authenticate"]).toMatch(/error="invalid_dpop_proof"/);
    expect(audit.records.at(-1)).toMatchObject({ decision_reason: "dpop_htm_mismatch" });
  });

  it("allows a certificate-bound token only with the certificate the proxy passes on", async () => {
    const token = await op.token(JWT_RESOURCE, undefined, pem);
    const bare = pem.replace(/-----(BEGIN|END) CERTIFICATE-----|\s/g, "");
    // Traefik's passTLSClientCert: the DER certificate in base64, without the PEM armour
    expect((await ask({ authorization: `Bearer ${token}`, "x-forwarded-tls-client-cert": bare })).status).toBe(200);
    expect((await ask({ authorization: `Bearer ${token}` })).status).toBe(401);
    expect(audit.records.at(-1)).toMatchObject({ decision_reason: "mtls_cert_missing" });
    const other = readFileSync(join(repoRoot, "test/shared/token/fixtures/other-cert.pem"), "utf8").replace(/-----(BEGIN|END) CERTIFICATE-----|\s/g, "");
    expect((await ask({ authorization: `Bearer ${token}`, "x-forwarded-tls-client-cert": other })).status).toBe(401);
    expect(audit.records.at(-1)).toMatchObject({ decision_reason: "mtls_cert_mismatch" });
  });

  it("counts each refusal under its own reason in the Prometheus metrics", async () => {
    const text = await (await fetch(`${server.opsUrl}/metrics`)).text();
    // gatehouse_decisions_total{route="…",decision="deny",reason="…",…} N, summed over the other labels
    const count = (reason: string) => [...text.matchAll(/^gatehouse_decisions_total\{([^}]*)\} (\d+)$/gm)]
      .filter(([, labels]) => labels.includes(`reason="${reason}"`))
      .reduce((n, [, , value]) => n + Number(value), 0);
    // The three tests above, in order: one refusal each
    expect(count("dpop_htm_mismatch")).toBe(1);
    expect(count("mtls_cert_missing")).toBe(1);
    expect(count("mtls_cert_mismatch")).toBe(1);
    expect(count("allowed")).toBe(4);
  });
});
