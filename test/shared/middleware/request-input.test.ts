import { describe, expect, it } from "vitest";
import { requestInput } from "../../../shared/middleware/request-input.ts";

// A Workers request's `cf` is a getter that builds its object on first access; this one counts the reads
function cfRequest(cf: Record<string, unknown> | undefined): { request: Request; reads: () => number } {
  let reads = 0;
  const request = new Request("https://api.example/tenants/acme/orders?page=2", { headers: { "cf-connecting-ip": "203.0.113.7", "cf-ray": "8f1c2a3b4d5e6f70-AMS" } });
  Object.defineProperty(request, "cf", { get: () => (reads++, cf) });
  return { request, reads: () => reads };
}

describe("requestInput: a Fetch request as the pipeline's input", () => {
  it("cuts path and query from the url and takes the address and ray id from Cloudflare's headers", () => {
    const { request } = cfRequest({ country: "NL", asn: 1136 });
    const input = requestInput(request);
    expect(input).toMatchObject({ platform: "worker", method: "GET", path: "/tenants/acme/orders", query: "page=2", clientIp: "203.0.113.7", requestId: "8f1c2a3b4d5e6f70-AMS" });
  });

  it("does not read request.cf until a stage asks for geo facts or the client certificate", () => {
    const { request, reads } = cfRequest({ country: "NL", asn: 1136 });
    const input = requestInput(request);
    void [input.method, input.path, input.query, input.headers, input.clientIp, input.requestId, input.url];
    expect(reads()).toBe(0);
    expect(input.cf).toEqual({ country: "NL", asn: 1136 });
    expect(input.clientCertificate).toBeUndefined();
    expect(input.cf).toEqual({ country: "NL", asn: 1136 });
    expect(reads()).toBe(1);
  });

  it("gives no geo facts without request.cf, and drops values of the wrong type", () => {
    expect(requestInput(cfRequest(undefined).request).cf).toBeUndefined();
    expect(requestInput(new Request("https://api.example/")).cf).toBeUndefined();
    expect(requestInput(cfRequest({ country: 7, asn: "1136" }).request).cf).toEqual({ country: undefined, asn: undefined });
  });
});
