import type { ResolvedClaimsMapping } from "../../shared/token/index.ts";

/** Whether the pipeline puts a context field in every request, or only when it knows it. */
export type SupplyPresence = "always" | "sometimes";

/** One context field the pipeline can supply: its Cedar type (as `showType` prints it) and presence. */
export interface ContextSupply {
  readonly type: string;
  readonly presence: SupplyPresence;
  /** Where the value comes from, for messages. */
  readonly source: string;
}

/**
 * The context fields the pipeline builds for policies (issue #6: scopes, amr, acr, client ip,
 * request time, allowlisted headers, Cloudflare geo), given an issuer's claims mapping. A field
 * whose claim the mapping switches off (`amrClaim: null`) is not supplied at all, nor `headers`
 * when `contextHeaders` (the config's `context.headers`) is empty.
 */
export function contextSupply(mapping: ResolvedClaimsMapping, contextHeaders: readonly string[] = []): ReadonlyMap<string, ContextSupply> {
  const out = new Map<string, ContextSupply>();
  out.set("scopes", { type: "Set<String>", presence: "always", source: `claims ${mapping.scopeClaims.map((c) => `\`${c}\``).join(", ") || "(none)"}` });
  if (mapping.amrClaim !== null) out.set("amr", { type: "Set<String>", presence: "always", source: `claim \`${mapping.amrClaim}\`` });
  if (mapping.acrClaim !== null) out.set("acr", { type: "String", presence: "sometimes", source: `claim \`${mapping.acrClaim}\`` });
  out.set("ip", { type: "ipaddr", presence: "sometimes", source: "the client address the platform reports" });
  out.set("time", { type: "datetime", presence: "always", source: "the request time" });
  // `context.headers` exists only when the config lists headers to copy (`context.headers`)
  if (contextHeaders.length > 0) out.set("headers", { type: "Record", presence: "always", source: "the allowlisted request headers" });
  out.set("geo", { type: "Record", presence: "sometimes", source: "cloudflare's `request.cf`" });
  return out;
}
