import type { AuthorizeInput } from "../pipeline/types.ts";

interface CfProperties {
  readonly country?: unknown;
  readonly asn?: unknown;
}

/**
 * A Fetch `Request` as the pipeline's input. The path and query are cut from `request.url` as
 * they stand (the runtime's URL parser has already resolved dot segments, and the origin receives
 * that same URL), without building a `URL` object. `cf-connecting-ip` and `cf-ray` are set by
 * Cloudflare's edge and cannot be sent by a client through it.
 */
export function requestInput(request: Request): AuthorizeInput {
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
  };
}
