/** The headers an adapter adds to an allowed request it forwards; inbound ones of these names are stripped first. */
export const IDENTITY_HEADER_PREFIX = "x-gatehouse-";

/**
 * `x-gatehouse-principal` (`principalText`: `User::"vera"`, Cedar's own notation; empty on a public
 * route), `x-gatehouse-tenant` (the principal's `tenant` attribute when it is a string, else empty)
 * and `x-gatehouse-decision-id`. All three are always present (#21): a proxy that copies only the
 * headers the auth answer has (Envoy's `allowed_upstream_headers`) would otherwise let a client's own
 * `x-gatehouse-tenant` through. Values are printable ASCII: anything else is written as a JSON
 * `\uXXXX` escape, so a claim can never inject a header line or a byte a proxy would refuse (RFC 9110 §5.5).
 */
export function identityHeaders(principal: string, tenant: string | undefined, decisionId: string): Record<string, string> {
  return { "x-gatehouse-principal": principal, "x-gatehouse-tenant": tenant === undefined ? "" : asciiHeaderValue(tenant), "x-gatehouse-decision-id": decisionId };
}

/** `Type::"id"` with the id JSON-quoted and reduced to printable ASCII. */
export function principalText(type: string, id: string): string {
  return `${asciiHeaderValue(type)}::${asciiHeaderValue(JSON.stringify(id))}`;
}

function asciiHeaderValue(text: string): string {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || code > 0x7e) return text.replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
  }
  return text;
}
