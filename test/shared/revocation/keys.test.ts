import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { parseRevocationKey, revocationKey, revocationKeyPrefix } from "../../../shared/revocation/index.ts";

describe("keys: layout", () => {
  it("namespaces by kind and issuer", () => {
    expect(revocationKey("sub", "https://idp.example", "alice")).toBe("gh:rv:sub:https%3A//idp.example:alice");
    expect(revocationKey("client", "iss", "web")).toBe("gh:rv:client:iss:web");
    expect(revocationKeyPrefix("jti", "a:b")).toBe("gh:rv:jti:a%3Ab:");
    expect(revocationKeyPrefix()).toBe("gh:rv:");
  });

  it("parses a key back into kind, issuer and id", () => {
    expect(parseRevocationKey(revocationKey("sid", "https://a:8443/x%y", "s:1%"))).toEqual({ kind: "sid", issuer: "https://a:8443/x%y", id: "s:1%" });
    expect(parseRevocationKey("other:key")).toBeUndefined();
    expect(parseRevocationKey("gh:rv:nope:a:b")).toBeUndefined();
  });

  it("replaces an overlong identifier by a digest that fits a KV key (512 bytes)", () => {
    const key = revocationKey("sub", "https://idp.example", "x".repeat(5000));
    expect(new TextEncoder().encode(key).length).toBeLessThan(512);
    expect(key).not.toBe(revocationKey("sub", "https://idp.example", "x".repeat(4999) + "y"));
  });

  it("builds keys from identifiers with lone surrogates without throwing", () => {
    expect(() => revocationKey("sub", "\ud800", "\udfff")).not.toThrow();
  });
});

describe("keys: security", () => {
  it("never maps two different (kind, issuer, id) triples to one key", () => {
    const part = fc.string({ unit: fc.constantFrom("a", ":", "%", "3", "A", "2", "5", "/"), maxLength: 12 });
    fc.assert(
      fc.property(part, part, part, part, (iss1, id1, iss2, id2) => {
        fc.pre(iss1 !== iss2 || id1 !== id2);
        expect(revocationKey("sub", iss1, id1)).not.toBe(revocationKey("sub", iss2, id2));
      }),
      { numRuns: 2000 },
    );
  });

  it("round-trips every short issuer and id through parse", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 50 }), fc.string({ maxLength: 50 }), (iss, id) => {
        expect(parseRevocationKey(revocationKey("jti", iss, id))).toEqual({ kind: "jti", issuer: iss, id });
      }),
    );
  });
});
