// A minimal Worker around the token stage, bundled by the workerd tests: proves shared/token runs
// unchanged in workerd (jose + WebCrypto there, KV persistence through a real binding).
import { createTokenVerifier, extractCredential, kvJwksPersistence, mapClaims, unauthorizedChallenge, type KvLike, type TokenVerifier } from "../../../../shared/token/index.ts";

interface Env {
  TOKEN_CONFIG: string;
  JWKS_KV?: KvLike;
}

let verifier: TokenVerifier | undefined;

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    verifier ??= createTokenVerifier(JSON.parse(env.TOKEN_CONFIG), { persistence: env.JWKS_KV ? kvJwksPersistence(env.JWKS_KV) : null });
    const credential = extractCredential(request.headers);
    if (!credential.ok) return Response.json(credential, { status: 401, headers: { "www-authenticate": unauthorizedChallenge(credential.reason) } });
    const outcome = await verifier.verify(credential.token);
    if (!outcome.ok) return Response.json(outcome, { status: 401, headers: { "www-authenticate": unauthorizedChallenge(outcome.reason) } });
    const mapped = mapClaims(outcome.claims, outcome.claimsMapping);
    return Response.json({ ok: true, issuer: outcome.issuer, cache: outcome.cache, mapped });
  },
};
