// A real OpenID provider on a loopback port (issue #20): panva's certified `oidc-provider`, with
// discovery, the client credentials grant, JWT and opaque access tokens, RFC 7662 introspection and
// DPoP-bound tokens. Tokens are issued by its own clock (the system's), so tests that use it build
// the authorizer on the system clock too: under faketime both move together.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { SignJWT, exportJWK, generateKeyPair, type CryptoKey, type JWK } from "jose";
import Provider from "oidc-provider";
import { accessTokenHash } from "../../shared/token/dpop.ts";

/** The resource (audience) whose access tokens are JWTs. */
export const JWT_RESOURCE = "https://api.gatehouse.test/jwt";
/** The resource whose access tokens are opaque (introspected). */
export const OPAQUE_RESOURCE = "https://api.gatehouse.test/opaque";
/** The client that asks for tokens (client credentials), and its secret. */
export const APP_CLIENT = { id: "orders-app", secret: "orders-app-secret-0123456789abcdef" };
/** The client whose tokens are bound to the client certificate it presents (RFC 8705). */
export const MTLS_CLIENT = { id: "orders-app-mtls", secret: "orders-app-mtls-secret-0123456789ab" };
/** The client Gatehouse introspects as, with `client_secret_basic`. */
export const INTROSPECTOR_CLIENT = { id: "gatehouse", secret: "gatehouse-secret-0123456789abcdef" };
/** The client Gatehouse introspects as with `private_key_jwt`. */
export const JWT_INTROSPECTOR_CLIENT_ID = "gatehouse-jwt";

/** A DPoP key pair of a client. */
export interface DpopKey {
  readonly privateKey: CryptoKey;
  readonly publicJwk: JWK;
}

export interface OidcProviderServer {
  readonly issuer: string;
  readonly tokenEndpoint: string;
  readonly introspectionEndpoint: string;
  /** The private JWK of `gatehouse-jwt` (for `private_key_jwt`). */
  readonly introspectorKey: JWK;
  /** Requests received, by path, to count discovery, JWKS and introspection calls. */
  readonly requests: string[];
  /** `ok` passes requests to the provider; `down` answers 503 on introspection; `hang` never answers introspection. */
  setIntrospectionMode(mode: "ok" | "down" | "hang"): void;
  /**
   * A client credentials token for `resource`; DPoP-bound to `dpop` when given; bound to the PEM
   * `certificate` when given (the provider reads it from a header, as behind a TLS-terminating proxy).
   */
  token(resource: string, dpop?: DpopKey, certificate?: string): Promise<string>;
  /** Revokes a token at the provider (RFC 7009), so introspection answers `active: false`. */
  revoke(token: string): Promise<void>;
  stop(): Promise<void>;
}

/** A fresh ES256 DPoP key. */
export async function createDpopKey(): Promise<DpopKey> {
  const { privateKey, publicKey } = await generateKeyPair("ES256", { extractable: true });
  return { privateKey, publicJwk: await exportJWK(publicKey) };
}

/** Options of one DPoP proof; each can be bent for a negative test. */
export interface ProofOptions {
  readonly method: string;
  readonly url: string;
  /** The access token to hash into `ath`; left out when absent. */
  readonly accessToken?: string;
  readonly iat?: number;
  readonly jti?: string;
  readonly alg?: string;
  readonly typ?: string;
  /** The `jwk` header; default the key's public JWK. */
  readonly jwk?: JWK;
  readonly ath?: string;
  /** The server's nonce (RFC 9449 §8); left out when absent. */
  readonly nonce?: string;
}

/** Signs a DPoP proof (RFC 9449 §4.2) with `key`. */
export function dpopProof(key: DpopKey, options: ProofOptions): Promise<string> {
  const payload: Record<string, unknown> = {
    htm: options.method,
    htu: options.url,
    jti: options.jti ?? crypto.randomUUID(),
    iat: options.iat ?? Math.floor(Date.now() / 1000),
  };
  if (options.ath !== undefined) payload.ath = options.ath;
  else if (options.accessToken !== undefined) payload.ath = accessTokenHash(options.accessToken);
  if (options.nonce !== undefined) payload.nonce = options.nonce;
  return new SignJWT(payload)
    .setProtectedHeader({ alg: options.alg ?? "ES256", typ: options.typ ?? "dpop+jwt", jwk: options.jwk ?? key.publicJwk })
    .sign(key.privateKey);
}

/** Starts the provider on an ephemeral loopback port. */
export async function startOidcProvider(): Promise<OidcProviderServer> {
  const signing = await generateKeyPair("ES256", { extractable: true });
  const signingJwk = { ...(await exportJWK(signing.privateKey)), kid: "op-es256", alg: "ES256", use: "sig" };
  const introspector = await generateKeyPair("ES256", { extractable: true });
  const introspectorKey = { ...(await exportJWK(introspector.privateKey)), kid: "gatehouse-1", alg: "ES256" };
  const introspectorPublic = { ...(await exportJWK(introspector.publicKey)), kid: "gatehouse-1", alg: "ES256" };

  const requests: string[] = [];
  let mode: "ok" | "down" | "hang" = "ok";
  const hanging = new Set<ServerResponse>();
  let handler: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
  const server = createServer((req, res) => {
    const path = (req.url ?? "").split("?")[0];
    requests.push(path);
    if (path === "/token/introspection" && mode !== "ok") {
      if (mode === "hang") hanging.add(res);
      else res.writeHead(503, { "content-type": "text/plain" }).end("unavailable");
      return;
    }
    handler!(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: APP_CLIENT.id,
        client_secret: APP_CLIENT.secret,
        grant_types: ["client_credentials"],
        id_token_signed_response_alg: "ES256",
        introspection_signed_response_alg: "ES256",
        redirect_uris: [],
        response_types: [],
        scope: "orders:read orders:write",
      },
      {
        client_id: MTLS_CLIENT.id,
        client_secret: MTLS_CLIENT.secret,
        grant_types: ["client_credentials"],
        id_token_signed_response_alg: "ES256",
        introspection_signed_response_alg: "ES256",
        redirect_uris: [],
        response_types: [],
        scope: "orders:read orders:write",
        tls_client_certificate_bound_access_tokens: true,
      },
      {
        client_id: INTROSPECTOR_CLIENT.id, client_secret: INTROSPECTOR_CLIENT.secret, grant_types: [], redirect_uris: [], response_types: [], id_token_signed_response_alg: "ES256",
        // Signed answers (RFC 9701) when asked for with Accept: application/token-introspection+jwt
        introspection_signed_response_alg: "ES256",
      },
      {
        client_id: JWT_INTROSPECTOR_CLIENT_ID,
        token_endpoint_auth_method: "private_key_jwt",
        token_endpoint_auth_signing_alg: "ES256",
        id_token_signed_response_alg: "ES256",
        introspection_signed_response_alg: "ES256",
        jwks: { keys: [introspectorPublic] },
        grant_types: [],
        redirect_uris: [],
        response_types: [],
      },
    ],
    jwks: { keys: [signingJwk] },
    ttl: { ClientCredentials: 600 },
    scopes: ["orders:read", "orders:write"],
    // The example policies read `tenant` and `groups`: the provider adds them to every access token
    extraTokenClaims: () => ({ tenant: "acme", groups: ["viewer"] }),
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      // Any registered confidential client may introspect (the default policy, said out loud)
      introspection: { enabled: true, allowedPolicy: () => true },
      jwtIntrospection: { enabled: true },
      revocation: { enabled: true },
      dPoP: { enabled: true },
      // The provider's TLS is terminated in front of it: the test passes the client certificate in a header
      mTLS: {
        enabled: true,
        certificateBoundAccessTokens: true,
        getCertificate: (ctx: { get(name: string): string }) => {
          const value = ctx.get("x-test-client-cert");
          return value ? decodeURIComponent(value) : undefined;
        },
      },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => JWT_RESOURCE,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx: unknown, resource: string) => ({
          scope: "orders:read orders:write",
          audience: resource,
          accessTokenTTL: 600,
          accessTokenFormat: resource === OPAQUE_RESOURCE ? "opaque" : "jwt",
          jwt: { sign: { alg: "ES256" } },
        }),
      },
    },
  });
  handler = provider.callback();

  // The provider's first answer compiles its routes and views: take that cost here, not in a test's fetch deadline
  await fetch(`${issuer}/.well-known/openid-configuration`).then((response) => response.arrayBuffer());
  requests.length = 0;

  const basic = (id: string, secret: string) => "Basic " + Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString("base64");
  return {
    issuer,
    tokenEndpoint: `${issuer}/token`,
    introspectionEndpoint: `${issuer}/token/introspection`,
    introspectorKey,
    requests,
    setIntrospectionMode(next) {
      mode = next;
    },
    async token(resource, dpop, certificate) {
      const client = certificate === undefined ? APP_CLIENT : MTLS_CLIENT;
      const headers: Record<string, string> = { "content-type": "application/x-www-form-urlencoded", authorization: basic(client.id, client.secret) };
      if (certificate !== undefined) headers["x-test-client-cert"] = encodeURIComponent(certificate);
      if (dpop !== undefined) headers.dpop = await dpopProof(dpop, { method: "POST", url: `${issuer}/token` });
      const response = await fetch(`${issuer}/token`, {
        method: "POST",
        headers,
        body: new URLSearchParams({ grant_type: "client_credentials", scope: "orders:read", resource }).toString(),
      });
      const body = (await response.json()) as { access_token?: string; error?: string; error_description?: string };
      if (body.access_token === undefined) throw new Error(`token request failed: ${body.error} ${body.error_description}`);
      return body.access_token;
    },
    async revoke(token) {
      const response = await fetch(`${issuer}/token/revocation`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", authorization: basic(APP_CLIENT.id, APP_CLIENT.secret) },
        body: new URLSearchParams({ token }).toString(),
      });
      if (response.status !== 200) throw new Error(`revocation failed: ${response.status}`);
    },
    stop: () =>
      new Promise<void>((resolve) => {
        for (const res of hanging) res.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
