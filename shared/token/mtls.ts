// Certificate-bound access tokens (RFC 8705 §3, issue #20): the token's `cnf["x5t#S256"]` is the
// base64url SHA-256 of the DER client certificate the platform terminated TLS with.
import { sha256 } from "@noble/hashes/sha2.js";
import { hexToBytes } from "@noble/hashes/utils.js";
import { base64url } from "jose";

/** The client certificate as a platform hands it over: its PEM (API Gateway, a proxy header) or its SHA-256 fingerprint in hex (Cloudflare). */
export interface ClientCertificate {
  readonly pem?: string;
  readonly sha256Hex?: string;
}

const PEM = /-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]+)-----END CERTIFICATE-----/;

/** The certificate's `x5t#S256` thumbprint, or `undefined` when what the platform gave cannot be read. Never throws. */
export function certificateThumbprint(cert: ClientCertificate | undefined): string | undefined {
  if (cert === undefined) return undefined;
  try {
    if (typeof cert.sha256Hex === "string" && /^[0-9a-fA-F]{64}$/.test(cert.sha256Hex)) {
      return base64url.encode(hexToBytes(cert.sha256Hex.toLowerCase()));
    }
    if (typeof cert.pem === "string") {
      const body = PEM.exec(cert.pem);
      if (body === null) return undefined;
      const der = Uint8Array.from(atob(body[1].replace(/\s+/g, "")), (c) => c.charCodeAt(0));
      return der.byteLength === 0 ? undefined : base64url.encode(sha256(der));
    }
  } catch {
    return undefined;
  }
  return undefined;
}
