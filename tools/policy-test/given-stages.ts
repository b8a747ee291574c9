import type { EntityJson } from "../../shared/policy/index.ts";
import { pipelineStages, type AuthorizeInput, type NamedStage, type PipelineParts, type RequestState } from "../../shared/pipeline/index.ts";
import { principalStage } from "../../shared/pipeline/stages/principal.ts";
import { requestStage } from "../../shared/pipeline/stages/request.ts";
import type { PrincipalEntity, ResolvedClaimsMapping, TokenContext } from "../../shared/token/index.ts";
import type { DecideInput, DecideSetup } from "./types.ts";
import { fixtureEntityStage } from "./fixture-entities.ts";

/** An `AuthorizeInput` that carries what a test case gives in place of a signed token. */
export interface GivenInput extends AuthorizeInput {
  readonly given: Pick<DecideInput, "claims" | "principal" | "context" | "entities" | "liveEntities">;
}

const NO_TOKEN_CONTEXT: TokenContext = Object.freeze({ scopes: Object.freeze([]) as readonly string[] });
const MISSING_TOKEN = { status: 401, reason: "missing_token", detail: { stage: "credential", field: "authorization" } } as const;

/**
 * The production order (`pipelineStages`) with the stages a policy tool cannot run swapped:
 * credential and token by "these claims are verified" (the case's claims, mapped with its issuer's
 * claims mapping, or the first issuer's when `iss` names none), principal by the case's principal
 * entity when it gives one instead of claims, and revocation by "nothing revoked". The request
 * mapping stage is the production one, with the case's context fields merged over its context
 * and its extra entities added.
 */
export function givenStages(parts: PipelineParts, setup: Pick<DecideSetup, "mappings" | "defaultMapping" | "entities">): readonly NamedStage[] {
  const productionRequest = requestStage(parts.contextHeaders, parts.clock);
  const mapped = principalStage();
  return pipelineStages(parts, {
    credential: function givenCredential(state) {
      const given = givenOf(state);
      if (given.claims === undefined && given.principal === undefined) {
        state.authError = "missing_token";
        return MISSING_TOKEN;
      }
      return undefined;
    },
    token: function givenToken(state) {
      const claims = givenOf(state).claims;
      if (claims === undefined) return undefined;
      const iss = claims.iss;
      const mapping: ResolvedClaimsMapping = (typeof iss === "string" ? setup.mappings.get(iss) : undefined) ?? setup.defaultMapping;
      state.token = { ok: true, claims, issuer: typeof iss === "string" ? iss : "", claimsMapping: mapping, cache: { hit: false } };
      state.claims = claims;
      return undefined;
    },
    principal: function givenPrincipal(state) {
      const principal = givenOf(state).principal;
      if (principal === undefined) return mapped(state);
      state.principal = principalEntity(principal);
      state.tokenContext = NO_TOKEN_CONTEXT;
      return undefined;
    },
    revocation: function nothingRevoked() {
      return undefined;
    },
    request: function givenRequest(state) {
      const refused = productionRequest(state);
      if (refused !== undefined) return refused;
      const given = givenOf(state);
      if (given.context !== undefined) state.cedarRequest = { ...state.cedarRequest!, context: { ...state.cedarRequest!.context, ...given.context } };
      if (given.principal !== undefined) state.entities![0] = given.principal;
      if (given.entities !== undefined) state.entities!.push(...given.entities);
      return undefined;
    },
    // The case's live records, through the production entity stage
    entities: function givenLiveEntities(state) {
      const records = givenOf(state).liveEntities;
      if (records === undefined) return undefined;
      return fixtureEntityStage(parts, setup.entities ?? null, records)(state);
    },
  });
}

function givenOf(state: RequestState): GivenInput["given"] {
  return (state.input as GivenInput).given;
}

// Cedar JSON accepts an entity reference as `{ type, id }` or `{ __entity: { type, id } }`
function principalEntity(entity: EntityJson): PrincipalEntity {
  const uid = entity.uid as { type: string; id: string } | { __entity: { type: string; id: string } };
  return { uid: "__entity" in uid ? uid.__entity : uid, attrs: (entity.attrs ?? {}) as PrincipalEntity["attrs"], parents: [] };
}
