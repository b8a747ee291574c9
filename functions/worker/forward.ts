import type { Origin } from "./env.ts";

/**
 * Sends an allowed request on to the origin: same method, body and (already sanitised) headers,
 * the same path and query, redirects handed back to the client rather than followed. An origin that
 * cannot be reached is a 502 problem document, not an exception.
 */
export function forwardToOrigin(request: Request, origin: Origin): Promise<Response> {
  try {
    if (origin.kind === "service") return origin.fetcher.fetch(request).catch(badGateway);
    const url = request.url;
    const scheme = url.indexOf("//");
    const pathStart = url.indexOf("/", scheme + 2);
    const target = origin.base + (pathStart === -1 ? "/" : url.slice(pathStart));
    return fetch(new Request(target, { method: request.method, headers: request.headers, body: request.body, redirect: "manual" })).catch(badGateway);
  } catch {
    return Promise.resolve(badGateway());
  }
}

function badGateway(): Response {
  return new Response('{"type":"about:blank","title":"Bad Gateway","status":502,"detail":"the origin could not be reached"}', {
    status: 502,
    headers: { "content-type": "application/problem+json", "cache-control": "no-store" },
  });
}
