// Certificate-bound tokens (RFC 8705, issue #20): `cnf["x5t#S256"]` against the client certificate
// each platform hands over (API Gateway's clientCert blocks, Cloudflare's tlsClientAuth, a proxy
// header), with real certificates and real signed tokens.
import { X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { base64url } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import { clientCertificateFrom } from "../../../functions/node/client-cert.ts";
import { fromHttpEvent } from "../../../functions/lambda/http-event.ts";
import { fromRequestEvent } from "../../../functions/lambda/request-event.ts";
import { requestInput } from "../../../shared/middleware/request-input.ts";
import { certificateThumbprint } from "../../../shared/token/mtls.ts";
import type { RouteSpec, RoutesFile } from "../../../shared/routes/index.ts";
import { memorySink } from "../../../shared/audit/index.ts";
import { createAuthorizer, type Authorizer } from "../../../shared/pipeline/index.ts";
import { EXAMPLE_AUDIENCE, EXAMPLE_ISSUER, createTestPipeline, examplePolicies, type TestPipeline } from "../../harness/gatehouse-pipeline.ts";
import { loadEvent } from "../../functions/lambda/events.ts";

const pem = readFileSync(new URL("./fixtures/client-cert.pem", import.meta.url), "utf8");
const otherPem = readFileSync(new URL("./fixtures/other-cert.pem", import.meta.url), "utf8");
// Node's own X.509 parser gives the fingerprint independently of ours
const fingerprintHex = new X509Certificate(pem).fingerprint256.replace(/:/g, "").toLowerCase();
const thumbprint = base64url.encode(Buffer.from(fingerprintHex, "hex"));
const PATH = "/tenants/acme/orders";

describe("the certificate thumbprint (x5t#S256)", () => {
  it("is the base64url SHA-256 of the DER certificate, from a PEM or a hex fingerprint", () => {
    expect(certificateThumbprint({ pem })).toBe(thumbprint);
    expect(certificateThumbprint({ sha256Hex: fingerprintHex.toUpperCase() })).toBe(thumbprint);
    expect(certificateThumbprint({ pem: "not a certificate" })).toBeUndefined();
    expect(certificateThumbprint(undefined)).toBeUndefined();
  });

  it("reads the forms proxies pass: URL-encoded PEM (nginx), bare base64 DER (Traefik), Envoy's XFCC Hash", () => {
    expect(certificateThumbprint(clientCertificateFrom(encodeURIComponent(pem)))).toBe(thumbprint);
    const der = pem.replace(/-----(BEGIN|END) CERTIFICATE-----|\s/g, "");
    expect(certificateThumbprint(clientCertificateFrom(der))).toBe(thumbprint);
    expect(certificateThumbprint(clientCertificateFrom(`By=spiffe://x;Hash=${fingerprintHex};Subject="CN=client"`))).toBe(thumbprint);
    expect(clientCertificateFrom(null)).toBeUndefined();
  });
});

describe("adapters hand over the certificate the platform verified", () => {
  it("API Gateway REST: requestContext.identity.clientCert", () => {
    const event = loadEvent("rest-request", "t");
    event.requestContext.identity.clientCert = { clientCertPem: pem };
    expect(fromRequestEvent(event)?.input.clientCertificate).toEqual({ pem });
  });

  it("API Gateway HTTP API: requestContext.authentication.clientCert", () => {
    const event = loadEvent("http-v2", "t");
    event.requestContext.authentication = { clientCert: { clientCertPem: pem } };
    expect(fromHttpEvent(event).input.clientCertificate).toEqual({ pem });
  });

  it("Cloudflare: cf.tlsClientAuth, only when the certificate was verified", () => {
    const request = (verified: string) => Object.assign(new Request(`https://api.example${PATH}`), {
      cf: { tlsClientAuth: { certPresented: "1", certVerified: verified, certFingerprintSHA256: fingerprintHex } },
    });
    expect(requestInput(request("SUCCESS")).clientCertificate).toEqual({ sha256Hex: fingerprintHex });
    expect(requestInput(request("FAILED:self signed certificate")).clientCertificate).toBeUndefined();
  });
});

describe("adapters name the URL the client requested (DPoP htu)", () => {
  it("API Gateway REST: domainName and the path as sent (a custom domain's base path included)", () => {
    const event = loadEvent("rest-request", "t");
    event.requestContext.domainName = "api.example.com";
    event.path = "/v1/tenants/acme/orders";
    expect(fromRequestEvent(event)?.input.url).toBe("https://api.example.com/v1/tenants/acme/orders");
  });
  it("API Gateway HTTP API: domainName and rawPath", () => {
    const event = loadEvent("http-v2", "t");
    event.requestContext.domainName = "api.example.com";
    expect(fromHttpEvent(event).input.url).toBe(`https://api.example.com${event.rawPath}`);
  });
  it("Workers: request.url", () => {
    expect(requestInput(new Request(`https://api.example${PATH}?a=1`)).url).toBe(`https://api.example${PATH}?a=1`);
  });
});

describe("certificate-bound tokens through the pipeline", () => {
  let pipeline: TestPipeline;
  let strict: Authorizer;
  beforeAll(async () => {
    pipeline = await createTestPipeline();
    const issuer = { issuer: EXAMPLE_ISSUER, audience: EXAMPLE_AUDIENCE, algorithms: ["ES256" as const], jwks: { keys: [pipeline.key.publicJwk] }, mtls: { required: true } };
    strict = createAuthorizer({ ...pipeline.config, token: { issuers: [issuer] } }, { policies: await examplePolicies(), auditSink: memorySink(), clock: pipeline.clock });
  });

  const viewer = { tenant: "acme", groups: ["viewer"], scope: "orders:read" };
  const ask = (target: TestPipeline | Authorizer, token: string, certificate?: { pem: string }) =>
    ("authorize" in target ? target.authorize : target)({ platform: "lambda", method: "GET", path: PATH, headers: new Headers({ authorization: `Bearer ${token}` }), ...(certificate ? { clientCertificate: certificate } : {}) });

  it("allows a bound token presented with its certificate", async () => {
    const token = await pipeline.mint({ ...viewer, cnf: { "x5t#S256": thumbprint } });
    expect(await ask(pipeline, token, { pem })).toMatchObject({ allow: true, reason: "allowed" });
  });

  it("refuses a bound token without a certificate (mtls_cert_missing) or with another one (mtls_cert_mismatch)", async () => {
    const token = await pipeline.mint({ ...viewer, cnf: { "x5t#S256": thumbprint } });
    const missing = await ask(pipeline, token);
    expect(missing).toMatchObject({ allow: false, status: 401, reason: "mtls_cert_missing" });
    expect(missing.wwwAuthenticate).toMatch(/^Bearer error="invalid_token"/);
    expect(await ask(pipeline, token, { pem: otherPem })).toMatchObject({ allow: false, status: 401, reason: "mtls_cert_mismatch" });
    expect(pipeline.audit.records.at(-1)).toMatchObject({ decision_reason: "mtls_cert_mismatch", detail: { stage: "binding", field: "x5t#S256" } });
  });

  it("refuses an unbound token on a route that requires certificate binding (senderConstraint), and allows a bound one", async () => {
    const routes = (pipeline.config.routes as RoutesFile).routes.map((route): RouteSpec => (route.method === "GET" && route.path === "/tenants/:tenant/orders" ? { ...route, senderConstraint: "mtls" } : route));
    const audit = memorySink();
    const strictRoute = createAuthorizer({ ...pipeline.config, routes }, { policies: await examplePolicies(), auditSink: audit, clock: pipeline.clock });
    const unbound = await pipeline.mint(viewer);
    expect(await ask(strictRoute, unbound, { pem })).toMatchObject({ allow: false, status: 401, reason: "mtls_required" });
    expect(audit.records.at(-1)).toMatchObject({ decision_reason: "mtls_required", detail: { stage: "binding", field: "cnf" } });
    const boundToken = await pipeline.mint({ ...viewer, cnf: { "x5t#S256": thumbprint } });
    expect(await ask(strictRoute, boundToken, { pem })).toMatchObject({ allow: true });
    // The same unbound token is still taken where the route does not ask for a binding
    expect(await ask(pipeline, unbound, { pem })).toMatchObject({ allow: true });
  });

  it("refuses an unbound token where the issuer requires certificate binding (mtls_required), and allows a bound one", async () => {
    const unbound = await pipeline.mint(viewer);
    expect(await ask(strict, unbound, { pem })).toMatchObject({ allow: false, status: 401, reason: "mtls_required" });
    const boundToken = await pipeline.mint({ ...viewer, cnf: { "x5t#S256": thumbprint } });
    expect(await ask(strict, boundToken, { pem })).toMatchObject({ allow: true });
  });
});
