// Set-up shared by the tests against the local OpenID provider (issue #20): a real pipeline over the
// example policies, on the system clock (the provider's own), with its audit lines kept in memory.
import { memorySink, type MemorySink } from "../../../shared/audit/index.ts";
import { systemClock } from "../../../shared/clock/index.ts";
import { createAuthorizer, type Authorizer, type AuthorizeInput, type GatehouseConfig } from "../../../shared/pipeline/index.ts";
import { createMemoryStore, type RevocationStore } from "../../../shared/revocation/index.ts";
import { createJwksRegistry, type IssuerConfig } from "../../../shared/token/index.ts";
import { examplePolicies, exampleRoutes } from "../../harness/gatehouse-pipeline.ts";
import { JWT_RESOURCE, type OidcProviderServer } from "../../harness/oidc-provider.ts";

/** Where the protected API is, as the client sees it (DPoP `htu`). */
export const API_ORIGIN = "https://api.gatehouse.test";

export interface OidcPipeline {
  readonly authorize: Authorizer;
  readonly audit: MemorySink;
  readonly store: RevocationStore;
}

/** An issuer entry for the provider, found by discovery; `overrides` replace fields. */
export function discoveredIssuer(op: OidcProviderServer, overrides: Partial<IssuerConfig> = {}): IssuerConfig {
  // A generous fetch deadline: the provider shares two loaded cores with the other test files
  return { issuer: op.issuer, audience: JWT_RESOURCE, algorithms: ["ES256"], typ: "at+jwt", discovery: { allowLoopbackHttp: true }, jwksTimeoutMs: 10_000, ...overrides };
}

/** A pipeline trusting `issuers`, with a memory revocation store (also the DPoP replay store). */
export async function oidcPipeline(issuers: IssuerConfig[], config: Partial<GatehouseConfig> = {}, store: RevocationStore = createMemoryStore()): Promise<OidcPipeline> {
  const audit = memorySink();
  const authorize = createAuthorizer(
    { token: { issuers }, routes: exampleRoutes(), revocation: { store: { kind: "memory" } }, ...config },
    { policies: await examplePolicies(), auditSink: audit, clock: systemClock, jwksRegistry: createJwksRegistry(), revocationStore: store },
  );
  return { authorize, audit, store };
}

/** A request to the example API; `headers` as sent. */
export function apiRequest(method: string, path: string, headers: Record<string, string>, extra: Partial<AuthorizeInput> = {}): AuthorizeInput {
  return { platform: "node", method, path, headers: new Headers(headers), url: `${API_ORIGIN}${path}`, ...extra };
}
