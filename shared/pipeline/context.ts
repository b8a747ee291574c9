import type { CedarJsonValue } from "../policy/types.ts";
import { Datetime } from "../policy/datetime.ts";
import { parseIp, type IpAddr } from "../policy/ip.ts";
import type { TokenContext } from "../token/claims.ts";
import type { AuthorizeInput } from "./types.ts";

const NO_STRINGS: readonly string[] = Object.freeze([]);

/**
 * The policy context of one request, in Cedar's JSON encoding:
 * `scopes` and `amr` (sets of strings, empty when the token has none, so a policy never errors on
 * a missing one and a `forbid … unless { context.amr.contains("mfa") }` still applies), `acr` when
 * the token has it, `ip` (a Cedar `ipaddr`) when the platform knows the client address, `time` (a
 * Cedar `datetime`, the decision time in UTC), `headers` (the allowlisted request headers present)
 * and `geo` (`{ country, asn }` from Cloudflare's `request.cf`) when there is one.
 *
 * `geo`: whether to look for geo facts at all (`ContextNeeds.geo`); default `true`. Without, the
 * platform's `cf` is not read, which on Workers saves the runtime building it.
 *
 * `parsed`: `time` and `ip` as the policy runtime's own values rather than their JSON text, for a
 * policy set built by the same runtime (`ownsPolicySet`), so they are not formatted here only to be
 * parsed again there (issue #22). Default `false`: plain Cedar JSON, for any consumer.
 */
export function buildContext(token: TokenContext, input: AuthorizeInput, nowMs: number, headerNames: readonly string[], parsed = false, geo = true): Record<string, CedarJsonValue> {
  const context: Record<string, CedarJsonValue> = {
    scopes: token.scopes as string[],
    amr: (token.amr ?? NO_STRINGS) as string[],
    time: parsed ? new Datetime(nowMs) : { __extn: { fn: "datetime", arg: new Date(nowMs).toISOString() } },
  };
  if (token.acr !== undefined) context.acr = token.acr;
  const ip = input.clientIp;
  if (typeof ip === "string") {
    const address = ipOf(ip);
    if (address !== undefined) context.ip = parsed ? address : { __extn: { fn: "ip", arg: ip } };
  }
  if (headerNames.length > 0) {
    const headers: Record<string, string> = {};
    for (const name of headerNames) {
      const value = input.headers.get(name);
      if (value !== null) headers[name] = value;
    }
    context.headers = headers;
  }
  if (geo) addGeo(context, input);
  return context;
}

/** Adds `geo` to a context `buildContext` made without it, as it would have (last, when the platform has geo facts). */
export function addGeo(context: Record<string, CedarJsonValue>, input: AuthorizeInput): void {
  const cf = input.cf;
  if (cf === undefined || cf === null) return;
  const geo: Record<string, CedarJsonValue> = {};
  if (typeof cf.country === "string") geo.country = cf.country;
  if (typeof cf.asn === "number" && Number.isSafeInteger(cf.asn)) geo.asn = cf.asn;
  context.geo = geo;
}

// Consecutive requests often come from one address (a client, a load balancer): keep the last one
let lastIpText: string | undefined;
let lastIp: IpAddr | undefined;

// A client address the platform gave us that Cedar cannot parse is left out rather than erroring every policy that reads it
function ipOf(text: string): IpAddr | undefined {
  if (text === lastIpText) return lastIp;
  let address: IpAddr | undefined;
  if (text.length <= 45 && !text.includes("/")) {
    try {
      address = parseIp(text);
    } catch {
      address = undefined;
    }
  }
  lastIpText = text;
  lastIp = address;
  return address;
}
