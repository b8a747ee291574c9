import type { AuthorizeInput } from "../pipeline/types.ts";

interface CfProperties {
  readonly country?: unknown;
  readonly asn?: unknown;
  // #20: set by Cloudflare when the zone asks for client certificates (mTLS)
  readonly tlsClientAuth?: { readonly certPresented?: unknown; readonly certVerified?: unknown; readonly certFingerprintSHA256?: unknown };
}

/**
 * A Fetch `Request` as the pipeline's input. The path and query are cut from `request.url` as
 * they stand (the runtime's URL parser has already resolved dot segments, and the origin receives
 * that same URL), without building a `URL` object. `cf-connecting-ip` and `cf-ray` are set by
 * Cloudflare's edge and cannot be sent by a client through it.
 */
export function requestInputOld(request: Request): AuthorizeInput {
  const url = request.url;
  const scheme = url.indexOf("//");
  let pathStart = url.indexOf("/", scheme === -1 ? 0 : scheme + 2);
  if (pathStart === -1) pathStart = url.length;
  const hash = url.indexOf("#", pathStart);
  const end = hash === -1 ? url.length : hash;
  const question = url.indexOf("?", pathStart);
  const hasQuery = question !== -1 && question < end;
  const path = pathStart === url.length ? "/" : url.slice(pathStart, hasQuery ? question : end);
  const headers = request.headers;
  const cf = (request as { cf?: CfProperties }).cf;
  return {
    platform: "worker",
    method: request.method,
    path,
    query: hasQuery ? url.slice(question + 1, end) : "",
    headers,
    clientIp: headers.get("cf-connecting-ip") ?? undefined,
    requestId: headers.get("cf-ray") ?? undefined,
    cf: cf === undefined || cf === null
      ? undefined
      : { country: typeof cf.country === "string" ? cf.country : undefined, asn: typeof cf.asn === "number" ? cf.asn : undefined },
    url, // #20: DPoP `htu`
    clientCertificate: verifiedCertificate(cf), // #20
  };
}

// Only a certificate Cloudflare verified against the zone's mTLS trust counts (RFC 8705 §3)
function verifiedCertificate(cf: CfProperties | undefined): { sha256Hex: string } | undefined {
  const tls = cf?.tlsClientAuth;
  if (tls === undefined || tls === null || tls.certPresented !== "1" || tls.certVerified !== "SUCCESS" || typeof tls.certFingerprintSHA256 !== "string") return undefined;
  return { sha256Hex: tls.certFingerprintSHA256 };
}
