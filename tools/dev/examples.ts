import { SignJWT, type CryptoKey } from "jose";

/** One ready-to-paste request and the status it must get. */
export interface DevExample {
  readonly title: string;
  readonly expect: 200 | 401 | 403;
  readonly method: string;
  readonly path: string;
  /** The bearer token sent, if any. */
  readonly token?: string;
}

/** A key that can sign tokens the running configuration accepts. */
export interface DevSigner {
  readonly privateKey: CryptoKey;
  readonly alg: string;
  readonly kid: string;
  readonly issuer: string;
  readonly audience: string;
}

/** Mints a dev token valid for `ttlSeconds` (default 12 h). */
export function mintDevToken(signer: DevSigner, claims: Record<string, unknown>, ttlSeconds = 12 * 3600): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ jti: crypto.randomUUID(), ...claims })
    .setProtectedHeader({ alg: signer.alg, kid: signer.kid, typ: "JWT" })
    .setIssuer(signer.issuer)
    .setAudience(signer.audience)
    .setIssuedAt(now)
    .setExpirationTime(now + ttlSeconds)
    .sign(signer.privateKey);
}

/**
 * The requests `gatehouse dev` prints, against the example policies: an allow, a policy deny, the
 * two kinds of 401 and the public health check. Without a signer only the token-less ones remain.
 */
export async function devExamples(signer: DevSigner | undefined): Promise<{ examples: DevExample[]; tokens: Record<string, string> }> {
  const examples: DevExample[] = [{ title: "public route, no token needed", expect: 200, method: "GET", path: "/health" }];
  const tokens: Record<string, string> = {};
  if (signer !== undefined) {
    tokens.VIEWER = await mintDevToken(signer, { sub: "vera", tenant: "acme", groups: ["viewer"], scope: "orders:read", amr: ["pwd"] });
    tokens.ADMIN = await mintDevToken(signer, { sub: "ada", tenant: "acme", groups: ["admin"], scope: "orders:read orders:write", amr: ["pwd", "mfa"] });
    examples.push(
      { title: "allow: a viewer lists their own tenant's orders", expect: 200, method: "GET", path: "/tenants/acme/orders", token: tokens.VIEWER },
      { title: "allow: an admin with mfa deletes an order", expect: 200, method: "DELETE", path: "/tenants/acme/orders/o-17", token: tokens.ADMIN },
      { title: "policy deny: a viewer reads another tenant's orders (forbid-cross-tenant)", expect: 403, method: "GET", path: "/tenants/globex/orders", token: tokens.VIEWER },
      { title: "policy deny: a viewer reads the audit log", expect: 403, method: "GET", path: "/admin/audit", token: tokens.VIEWER },
    );
  }
  examples.push(
    { title: "missing token", expect: 401, method: "GET", path: "/tenants/acme/orders" },
    { title: "invalid token", expect: 401, method: "GET", path: "/tenants/acme/orders", token: "not-a-valid-token" },
  );
  return { examples, tokens };
}

/** The example as a curl line, with its expected status as a trailing shell comment. */
export function curlLine(example: DevExample, baseUrl: string): string {
  const method = example.method === "GET" ? "" : `-X ${example.method} `;
  const auth = example.token === undefined ? "" : `-H 'Authorization: Bearer ${example.token}' `;
  return `curl -i ${method}${auth}${baseUrl}${example.path}   # expect ${example.expect}`;
}
