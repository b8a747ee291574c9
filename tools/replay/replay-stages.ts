import type { CedarJsonValue } from "../../shared/policy/index.ts";
import { pipelineStages, type AuthorizeInput, type NamedStage, type PipelineParts, type RequestState } from "../../shared/pipeline/index.ts";
import type { PrincipalEntity, TokenContext } from "../../shared/token/index.ts";
import type { ReplayCase } from "./read-line.ts";

/** An `AuthorizeInput` rebuilt from an audit line, carrying the line's recorded facts. */
export interface ReplayInput extends AuthorizeInput {
  readonly recorded: ReplayCase;
}

/**
 * The production order (`pipelineStages`) with the stages a recorded decision cannot run again
 * swapped for its recorded facts (#18): credential and token pass (the token was verified when the
 * line was written), principal is the recorded principal entity, revocation passes (the request
 * reached the policies, so it was not revoked then). Route matching, the request mapping (action,
 * resource, context), the policies and the decision are the production stages, so a change to the
 * routes or the policies shows. The recorded context is laid over the one the request stage builds,
 * so keys it does not build (from a newer version, say) still reach the policies.
 */
export function replayStages(parts: PipelineParts): readonly NamedStage[] {
  const recordedToken = function recordedToken() {
    return undefined;
  };
  // The production request stage as the order builds it (only the token stage needs a verifier)
  const productionRequest = pipelineStages(parts, { token: recordedToken }).find((stage) => stage.name === "request")!.run;
  return pipelineStages(parts, {
    credential: function recordedCredential() {
      return undefined;
    },
    token: recordedToken,
    principal: function recordedPrincipal(state) {
      const recorded = recordedOf(state);
      state.principal = recorded.principal as unknown as PrincipalEntity;
      state.tokenContext = tokenContextOf(recorded.context);
      return undefined;
    },
    revocation: function recordedNotRevoked() {
      return undefined;
    },
    request: function recordedRequest(state) {
      // Invariant: the production request stage never waits
      const refused = productionRequest(state);
      if (refused !== undefined) return refused;
      const recorded = recordedOf(state).context as Record<string, CedarJsonValue>;
      state.cedarRequest = { ...state.cedarRequest!, context: { ...state.cedarRequest!.context, ...recorded } };
      return undefined;
    },
  });
}

function recordedOf(state: RequestState): ReplayCase {
  return (state.input as ReplayInput).recorded;
}

function tokenContextOf(context: Readonly<Record<string, unknown>>): TokenContext {
  const strings = (value: unknown): string[] => (Array.isArray(value) ? value.filter((s): s is string => typeof s === "string") : []);
  const out: { scopes: readonly string[]; amr?: readonly string[]; acr?: string } = { scopes: strings(context.scopes) };
  if (Array.isArray(context.amr)) out.amr = strings(context.amr);
  if (typeof context.acr === "string") out.acr = context.acr;
  return out as TokenContext;
}

/** The request the line recorded, as an adapter would have handed it over: headers, address and geo from the context. */
export function replayInput(recorded: ReplayCase): ReplayInput {
  const context = recorded.context;
  const headers = new Map<string, string>();
  if (typeof context.headers === "object" && context.headers !== null) {
    for (const [name, value] of Object.entries(context.headers)) if (typeof value === "string") headers.set(name.toLowerCase(), value);
  }
  const input: { -readonly [K in keyof ReplayInput]: ReplayInput[K] } = {
    platform: recorded.platform,
    method: recorded.method,
    path: pathOnly(recorded.path),
    headers: { get: (name) => headers.get(name.toLowerCase()) ?? null },
    recorded,
  };
  const ip = context.ip as { __extn?: { arg?: unknown } } | undefined;
  if (typeof ip?.__extn?.arg === "string") input.clientIp = ip.__extn.arg;
  const geo = context.geo as { country?: unknown; asn?: unknown } | undefined;
  if (typeof geo === "object" && geo !== null) {
    input.cf = { ...(typeof geo.country === "string" ? { country: geo.country } : {}), ...(typeof geo.asn === "number" ? { asn: geo.asn } : {}) };
  }
  return input;
}

// With `audit.includeQuery` the line's path carries the (redacted) query: routes match the path alone
function pathOnly(path: string): string {
  const end = path.indexOf("?");
  return end === -1 ? path : path.slice(0, end);
}
