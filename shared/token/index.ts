export type { TokenFailureReason, TokenFailure } from "./reasons.ts";
export {
  validateTokenConfig,
  resolveClaimsMapping,
  defaultClaimsMapping,
  type TokenConfig,
  type IssuerConfig,
  type ClaimsMapping,
  type AttributeMapping,
  type ClaimValueType,
  type JwsAlgorithm,
  type JwkSet,
  type ResolvedTokenConfig,
  type ResolvedIssuer,
  type ResolvedClaimsMapping,
  type ResolvedKeySource,
} from "./config.ts";
export { extractCredential, type ExtractOptions, type ExtractOutcome, type CredentialSource, type HeadersLike } from "./extract.ts";
export {
  createJwksRegistry,
  sharedJwksRegistry,
  kvJwksPersistence,
  memoryJwksPersistence,
  type JwksPersistence,
  type PersistedJwks,
  type JwksRegistry,
  type FetchLike,
  type KvLike,
} from "./jwks.ts";
export { createTokenVerifier, type TokenVerifier, type TokenVerifierOptions, type VerifyOutcome, type TokenSuccess, type JwtClaims } from "./verify.ts";
export { mapClaims, type MapClaimsOutcome, type PrincipalEntity, type PrincipalAttribute, type EntityUid, type TokenContext } from "./claims.ts";
export { unauthorizedChallenge } from "./challenge.ts";
