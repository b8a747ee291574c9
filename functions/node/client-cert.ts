// The client certificate a proxy that terminated mutual TLS passes on (RFC 8705, issue #20), read
// only from the one header the operator names (`clientCertHeader`): the proxy must set it itself
// and drop a client's copy, or a client could claim any certificate.
import type { ClientCertificate } from "../../shared/token/mtls.ts";

/**
 * The certificate in `value`, in the forms proxies use: PEM, URL-encoded PEM (nginx
 * `$ssl_client_escaped_cert`), bare base64 DER (Traefik `passTLSClientCert`), or Envoy's
 * `x-forwarded-client-cert` with its `Hash=` (the SHA-256 fingerprint in hex). `undefined` when absent.
 */
export function clientCertificateFrom(value: string | null): ClientCertificate | undefined {
  if (value === null || value.length === 0 || value.length > 32_768) return undefined;
  const hash = /(?:^|[;,])Hash=([0-9a-fA-F]{64})(?:[;,]|$)/.exec(value);
  if (hash !== null) return { sha256Hex: hash[1] };
  let text = value;
  if (text.includes("%")) {
    try {
      text = decodeURIComponent(text);
    } catch {
      return undefined;
    }
  }
  if (text.includes("-----BEGIN CERTIFICATE-----")) return { pem: text };
  if (/^[A-Za-z0-9+/=]+$/.test(text)) return { pem: `-----BEGIN CERTIFICATE-----\n${text}\n-----END CERTIFICATE-----` };
  return undefined;
}
