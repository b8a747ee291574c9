/** The one thing extraction needs from a platform's headers: a case-insensitive lookup (Fetch `Headers` fits). */
export interface HeadersLike {
  /** The header's value, comma-joined when repeated, or `null` when absent. */
  get(name: string): string | null;
}

/** Where a credential was found; recorded in the audit line. */
export type CredentialSource = "header" | "cookie" | "query";

/** Where else to look for a credential besides `Authorization: Bearer`, and how large it may be. */
export interface ExtractOptions {
  /** Name of a cookie that may carry the token; default `null` (cookies ignored). Read only when there is no Authorization header. */
  cookie?: string | null;
  /** Query parameter that may carry the token (RFC 6750 §2.3 uses `access_token`); default `null`. Set it only for routes that allow it: URLs end up in logs. */
  queryParam?: string | null;
  /** The raw query string without `?`; read only when `queryParam` is set. */
  query?: string;
  /** Longest accepted token, in bytes; default 8192. Checked before any parsing. */
  maxTokenBytes?: number;
  /** How many Authorization headers the platform saw, where it can tell (Lambda `multiValueHeaders`). */
  authorizationCount?: number;
}

/** A credential found, or why none was. `field` names the place that failed. */
export type ExtractOutcome =
  | { readonly ok: true; readonly token: string; readonly source: CredentialSource; /** Set only for the `DPoP` scheme */ readonly scheme?: "dpop" }
  | { readonly ok: false; readonly reason: "missing_token" | "malformed" | "too_large"; readonly field: string };

// RFC 6750 §2.1: b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=". A space or a
// comma inside means two tokens, or two headers joined by the platform.
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;
const DEFAULT_MAX_TOKEN_BYTES = 8192;

/**
 * Finds the bearer token in a request: the `Authorization` header (scheme case-insensitive, exactly
 * one header holding one token), else the named cookie, else the named query parameter. Sending it
 * in two ways at once is refused, as RFC 6750 §2 forbids it. Never throws.
 */
export function extractCredential(headers: HeadersLike, options: ExtractOptions = {}): ExtractOutcome {
  const max = options.maxTokenBytes ?? DEFAULT_MAX_TOKEN_BYTES;
  const queryName = options.queryParam ?? null;
  const authorization = headers.get("authorization");

  if (authorization !== null || (options.authorizationCount ?? 0) > 0) {
    if ((options.authorizationCount ?? 1) > 1) return refuse("malformed", "authorization");
    if (queryName !== null && options.query && hasQueryParam(options.query, queryName)) return refuse("malformed", "query");
    return bearerFromHeader(authorization ?? "", max);
  }

  const cookieName = options.cookie ?? null;
  if (cookieName !== null) {
    const cookieHeader = headers.get("cookie");
    const found = cookieHeader === null ? undefined : cookieValue(cookieHeader, cookieName, max);
    if (found !== undefined) {
      if (typeof found !== "string") return found;
      if (queryName !== null && options.query && hasQueryParam(options.query, queryName)) return refuse("malformed", "query");
      return checkToken(found, "cookie", max);
    }
  }

  if (queryName !== null && options.query) {
    if (options.query.length > max * 3 + 4096) return refuse("too_large", "query");
    let values: string[];
    try {
      values = new URLSearchParams(options.query).getAll(queryName);
    } catch {
      return refuse("malformed", "query");
    }
    if (values.length > 1) return refuse("malformed", "query");
    if (values.length === 1) return checkToken(values[0], "query", max);
  }
  return refuse("missing_token", "authorization");
}

// The last Authorization value that held a well-formed token, and that token: a client sends the
// same header with each request until its token changes, and comparing the value costs less than
// cutting the token out and looking it up. Kept as strings, so no caller can change a later answer.
let lastHeader = "";
let lastMax = -1;
let lastToken: string | null = null;
let lastDpop = false;

function bearerFromHeader(value: string, max: number): ExtractOutcome {
  if (lastToken !== null && value === lastHeader && max === lastMax) {
    return lastDpop ? { ok: true, token: lastToken, source: "header", scheme: "dpop" } : { ok: true, token: lastToken, source: "header" };
  }
  const found = schemeAndToken(value, max);
  if (found.ok) {
    lastHeader = value;
    lastMax = max;
    lastToken = found.token;
    lastDpop = found.scheme === "dpop";
  }
  return found;
}

function schemeAndToken(value: string, max: number): ExtractOutcome {
  const space = value.indexOf(" ");
  // The `DPoP` scheme (RFC 9449 §7.1) too; the binding stage accepts it only with a DPoP-bound token and its proof
  const scheme = space === 6 && schemeIs(value, "bearer") ? "bearer" : space === 4 && schemeIs(value, "dpop") ? "dpop" : "";
  if (scheme === "") return refuse("malformed", "authorization");
  let start = space;
  while (value.charCodeAt(start) === 32) start++;
  // Length first: a 1 MiB header is refused without scanning it.
  if (value.length - start > max) return refuse("too_large", "authorization");
  const found = checkToken(value.slice(start), "header", max);
  return found.ok && scheme === "dpop" ? { ...found, scheme: "dpop" } : found;
}

// Whether `value` starts with `lower` (a lower-case ASCII scheme name) in any letter case (RFC 9110
// §11.1), compared in place: every request passes here, and a lower-cased copy would be thrown away
function schemeIs(value: string, lower: string): boolean {
  for (let i = 0; i < lower.length; i++) if ((value.charCodeAt(i) | 0x20) !== lower.charCodeAt(i)) return false;
  return true;
}

function checkToken(token: string, source: CredentialSource, max: number): ExtractOutcome {
  const field = source === "header" ? "authorization" : source;
  if (token.length === 0) return refuse("missing_token", field);
  if (token.length > max) return refuse("too_large", field);
  if (!isWellFormed(token)) return refuse("malformed", field);
  return { ok: true, token, source };
}

// A reused token is not scanned again. Tokens found well formed are kept by their last 16
// characters (the signature's, the part that differs most between tokens), and a hit needs the
// whole string to be equal, so the answer is exactly the pattern's. Bounded: the map is emptied
// when full (256 tokens of at most `maxTokenBytes`: 2 MiB at the default 8 KiB); like the
// verified-token cache it keeps tokens in isolate memory only (docs/hot-path.md).
const WELL_FORMED_MAX = 256;
const wellFormed = new Map<string, string>();

function isWellFormed(token: string): boolean {
  const tail = token.length > 16 ? token.slice(-16) : token;
  if (wellFormed.get(tail) === token) return true;
  if (!B64TOKEN.test(token)) return false;
  if (wellFormed.size >= WELL_FORMED_MAX) wellFormed.clear();
  wellFormed.set(tail, token);
  return true;
}

// RFC 6265 §5.2: pairs split on ";", the name is before the first "="; a value may be wrapped in DQUOTEs.
// Two cookies of the same name are refused: a sibling subdomain can plant one (cookie tossing).
function cookieValue(header: string, name: string, max: number): string | ExtractOutcome | undefined {
  if (header.length > max * 4 + 8192) return refuse("too_large", "cookie");
  let found: string | undefined;
  for (const pair of header.split(";")) {
    const eq = pair.indexOf("=");
    if (eq < 0 || pair.slice(0, eq).trim() !== name) continue;
    if (found !== undefined) return refuse("malformed", "cookie");
    let value = pair.slice(eq + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    found = value;
  }
  return found;
}

function hasQueryParam(query: string, name: string): boolean {
  try {
    return new URLSearchParams(query).has(name);
  } catch {
    return false;
  }
}

function refuse(reason: "missing_token" | "malformed" | "too_large", field: string): ExtractOutcome {
  return { ok: false, reason, field };
}
