import { ConfigError } from "../../shared/errors.ts";

/**
 * Which proxy calls the server, and so which headers name the original request. One per server, never
 * guessed: nginx and Traefik both pass the client's own headers through to the auth request, so a
 * server that looked for either convention would let a client send the other one and name any path.
 *
 * - `nginx`: `auth_request`, with `X-Original-Method` and `X-Original-URI` set by the location block.
 * - `traefik`: `forwardAuth`, which sets `X-Forwarded-Method`, `-Uri`, `-Host` and `-Proto` itself.
 * - `envoy`: `ext_authz` HTTP service; the check request carries the original method and path as its
 *   own, behind `pathPrefix`.
 */
export type ProxyKind = "nginx" | "traefik" | "envoy";

/**
 * Where the client's address comes from. Only name a header the proxy sets itself; the default
 * `socket` gives the proxy's own address, which is right when no header can be trusted.
 *
 * - `socket` (default): the TCP peer.
 * - `x-forwarded-for`: the right-most entry, the one the proxy appended.
 * - `x-real-ip`: the whole header.
 */
export type ClientIpSource = "socket" | "x-forwarded-for" | "x-real-ip";

/** Options of the forward-auth server. */
export interface ForwardAuthOptions {
  /** The calling proxy; required. */
  readonly proxy: ProxyKind;
  /** Envoy only: the `path_prefix` of the `http_service`, e.g. `/check`; default `""`, at most 256 characters. */
  readonly pathPrefix?: string;
  /** See `ClientIpSource`; default `socket`. */
  readonly clientIp?: ClientIpSource;
  /** Runs after each decision, before answering (the audit sink's `flush`); default none. */
  readonly flush?: () => Promise<void>;
  /** Header in which the proxy passes the client certificate it verified (certificate-bound tokens); default none. The proxy must set it and drop a client's copy. */
  readonly clientCertHeader?: string;
}

/** Options after validation, defaults filled in. */
export interface ResolvedForwardAuthOptions {
  readonly proxy: ProxyKind;
  readonly pathPrefix: string;
  readonly clientIp: ClientIpSource;
  readonly flush: (() => Promise<void>) | undefined;
  readonly clientCertHeader: string | null;
}

const proxies: readonly ProxyKind[] = ["nginx", "traefik", "envoy"];
const ipSources: readonly ClientIpSource[] = ["socket", "x-forwarded-for", "x-real-ip"];

/** Checks the options once, at start; throws `ConfigError` naming the field. */
export function resolveForwardAuthOptions(options: ForwardAuthOptions): ResolvedForwardAuthOptions {
  if (!proxies.includes(options?.proxy)) {
    throw new ConfigError("forwardAuth.proxy", `expected one of \`nginx\`, \`traefik\`, \`envoy\`, got \`${String(options?.proxy)}\``);
  }
  const pathPrefix = options.pathPrefix ?? "";
  if (typeof pathPrefix !== "string" || pathPrefix.length > 256 || (pathPrefix !== "" && (!pathPrefix.startsWith("/") || pathPrefix.endsWith("/")))) {
    throw new ConfigError("forwardAuth.pathPrefix", `expected \`\` or a path starting and not ending with \`/\`, at most 256 characters, got \`${String(pathPrefix)}\``);
  }
  if (pathPrefix !== "" && options.proxy !== "envoy") {
    throw new ConfigError("forwardAuth.pathPrefix", `expected only with proxy \`envoy\`, got proxy \`${options.proxy}\``);
  }
  const clientIp = options.clientIp ?? "socket";
  if (!ipSources.includes(clientIp)) {
    throw new ConfigError("forwardAuth.clientIp", `expected one of \`socket\`, \`x-forwarded-for\`, \`x-real-ip\`, got \`${String(clientIp)}\``);
  }
  if (options.flush !== undefined && typeof options.flush !== "function") {
    throw new ConfigError("forwardAuth.flush", "expected a function");
  }
  const clientCertHeader = options.clientCertHeader ?? null;
  if (clientCertHeader !== null && (typeof clientCertHeader !== "string" || !/^[A-Za-z0-9-]{1,64}$/.test(clientCertHeader))) {
    throw new ConfigError("forwardAuth.clientCertHeader", `expected a header name, got \`${String(clientCertHeader)}\``);
  }
  return { proxy: options.proxy, pathPrefix, clientIp, flush: options.flush, clientCertHeader: clientCertHeader === null ? null : clientCertHeader.toLowerCase() };
}
