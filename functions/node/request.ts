// One converter: a proxy's auth request → AuthorizeInput, per the proxy's header convention.
import type { AuthorizeInput } from "../../shared/pipeline/types.ts";
import type { ResolvedForwardAuthOptions } from "./options.ts";
import { clientCertificateFrom } from "./client-cert.ts";

/** The parts of the auth request the converter reads. `target` is the raw request-target, unnormalised. */
export interface ProxyRequest {
  readonly method: string;
  readonly target: string;
  readonly headers: Headers;
  readonly socketIp: string | undefined;
}

/**
 * The original request the proxy asks about, or `undefined` when the proxy's headers are missing
 * (a misconfigured proxy, or a caller that is not the proxy). Paths are passed raw, percent-encoding
 * and dot segments intact, for the pipeline to normalise once.
 */
export function fromProxyRequest(request: ProxyRequest, options: ResolvedForwardAuthOptions): AuthorizeInput | undefined {
  const { headers } = request;
  let method: string | null;
  let target: string | null;
  switch (options.proxy) {
    case "nginx":
      method = headers.get("x-original-method");
      target = headers.get("x-original-uri");
      break;
    case "traefik":
      method = headers.get("x-forwarded-method");
      target = headers.get("x-forwarded-uri");
      break;
    case "envoy": {
      method = request.method;
      const prefix = options.pathPrefix;
      // `/check` must not match `/checkout`: the prefix ends where a path begins
      target = prefix === "" ? request.target : request.target.startsWith(`${prefix}/`) ? request.target.slice(prefix.length) : null;
      break;
    }
  }
  if (!method || target === null || !target.startsWith("/")) return undefined;
  const question = target.indexOf("?");
  return {
    platform: "node",
    method,
    path: question < 0 ? target : target.slice(0, question),
    query: question < 0 ? "" : target.slice(question + 1),
    headers,
    clientIp: clientIp(request, options),
    // The URL the client asked for (DPoP `htu`), as the proxy names it, and its client certificate
    url: originalUrl(headers, target),
    clientCertificate: options.clientCertHeader === null ? undefined : clientCertificateFrom(headers.get(options.clientCertHeader)),
  };
}

// Traefik sets X-Forwarded-Proto and -Host itself; nginx and Envoy pass the Host the client sent
function originalUrl(headers: Headers, target: string): string | undefined {
  const host = headers.get("x-forwarded-host") ?? headers.get("host");
  if (!host) return undefined;
  const proto = headers.get("x-forwarded-proto") === "http" ? "http" : "https";
  return `${proto}://${host}${target}`;
}

function clientIp(request: ProxyRequest, options: ResolvedForwardAuthOptions): string | undefined {
  switch (options.clientIp) {
    case "socket":
      // Node reports IPv4 peers on a dual-stack socket as IPv4-mapped IPv6
      return request.socketIp?.startsWith("::ffff:") ? request.socketIp.slice(7) : request.socketIp;
    case "x-forwarded-for": {
      const list = request.headers.get("x-forwarded-for");
      if (!list) return undefined;
      return list.slice(list.lastIndexOf(",") + 1).trim() || undefined;
    }
    case "x-real-ip":
      return request.headers.get("x-real-ip")?.trim() || undefined;
  }
}
