import { describe, expect, it } from "vitest";
import { extractCredential, type ExtractOutcome } from "../../../shared/token/index.ts";

const TOKEN = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ1In0.c2ln";

function headers(entries: Record<string, string>): Headers {
  return new Headers(entries);
}

function expectRefused(outcome: ExtractOutcome, reason: string, field: string): void {
  expect(outcome).toEqual({ ok: false, reason, field });
}

describe("Authorization header", () => {
  it("takes the token from `Bearer <token>`", () => {
    expect(extractCredential(headers({ authorization: `Bearer ${TOKEN}` }))).toEqual({ ok: true, token: TOKEN, source: "header" });
  });

  it("accepts the scheme in any case and several spaces (RFC 7235 §2.1)", () => {
    for (const scheme of ["bearer", "BEARER", "bEaReR"]) {
      expect(extractCredential(headers({ authorization: `${scheme}   ${TOKEN}` }))).toEqual({ ok: true, token: TOKEN, source: "header" });
    }
  });

  it("refuses another scheme", () => {
    expectRefused(extractCredential(headers({ authorization: "Basic dXNlcjpwYXNz" })), "malformed", "authorization");
    expectRefused(extractCredential(headers({ authorization: `Bearer2 ${TOKEN}` })), "malformed", "authorization");
    // The scheme is compared in place, letter by letter: a near miss in any position, or a
    // character that only differs from a letter in its case bit, is not `Bearer` or `DPoP`
    for (const scheme of ["Xearer", "bXarer", "beXrer", "beaXer", "beareX", "Bear", "Dpo", "DPoX", "XPoP", "\u0002earer", "bea\u0012er", "D\u0010oP", "Bearer\u0000", "\u0142earer"]) {
      // a plain lookup: `Headers` itself refuses some of these values before we see them
      const value = `${scheme} ${TOKEN}`;
      expectRefused(extractCredential({ get: (name) => (name === "authorization" ? value : null) }), "malformed", "authorization");
    }
  });

  it("accepts the DPoP scheme in any case and marks it (RFC 9449 §7.1)", () => {
    for (const scheme of ["DPoP", "dpop", "DPOP"]) {
      expect(extractCredential(headers({ authorization: `${scheme} ${TOKEN}` }))).toEqual({ ok: true, token: TOKEN, source: "header", scheme: "dpop" });
    }
  });

  it("refuses a scheme without a token", () => {
    expectRefused(extractCredential(headers({ authorization: "Bearer" })), "malformed", "authorization");
    expectRefused(extractCredential(headers({ authorization: "Bearer " })), "malformed", "authorization");
  });

  it("refuses two tokens in one header", () => {
    expectRefused(extractCredential(headers({ authorization: `Bearer ${TOKEN} ${TOKEN}` })), "malformed", "authorization");
  });

  it("refuses two Authorization headers joined by the platform", () => {
    const joined = new Headers();
    joined.append("authorization", `Bearer ${TOKEN}`);
    joined.append("authorization", `Bearer ${TOKEN}`);
    expectRefused(extractCredential(joined), "malformed", "authorization");
  });

  it("refuses a duplicate header the platform counted", () => {
    expectRefused(extractCredential(headers({ authorization: `Bearer ${TOKEN}` }), { authorizationCount: 2 }), "malformed", "authorization");
  });

  it("refuses characters outside the b64token grammar (RFC 6750 §2.1)", () => {
    expectRefused(extractCredential(headers({ authorization: `Bearer ${TOKEN}"` })), "malformed", "authorization");
    expectRefused(extractCredential(headers({ authorization: `Bearer a=b` })), "malformed", "authorization");
  });

  // Issue #22: tokens found well formed are remembered by their tail; a hit needs the whole token
  it("refuses a token that differs from a remembered one only before its last 16 characters", () => {
    const good = `eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ2In0.${"s".repeat(40)}`;
    for (let round = 0; round < 2; round++) {
      expect(extractCredential(headers({ authorization: `Bearer ${good}` }))).toEqual({ ok: true, token: good, source: "header" });
      expectRefused(extractCredential(headers({ authorization: `Bearer ${good.replace("eyJzdWIi", "eyJ\\dWIi")}` })), "malformed", "authorization");
      expectRefused(extractCredential(headers({ authorization: `Bearer ${good.replace("eyJzdWIi", "ey(zdWIi")}` })), "malformed", "authorization");
    }
  });

  // The last header found well formed is remembered whole, with the size limit it was judged under
  it("answers a repeated header alike, and judges it again under another size limit", () => {
    const value = `Bearer ${TOKEN}`;
    const first = extractCredential(headers({ authorization: value }));
    const again = extractCredential(headers({ authorization: value }));
    expect(again).toEqual(first);
    expect(first).toEqual({ ok: true, token: TOKEN, source: "header" });
    // an answer a caller changes is its own
    (again as { token: string }).token = "changed";
    expect(extractCredential(headers({ authorization: value }))).toEqual({ ok: true, token: TOKEN, source: "header" });
    expectRefused(extractCredential(headers({ authorization: value }), { maxTokenBytes: TOKEN.length - 1 }), "too_large", "authorization");
    expect(extractCredential(headers({ authorization: value }))).toEqual(first);
    // a repeated header still conflicts with a query token or a second header
    expectRefused(extractCredential(headers({ authorization: value }), { authorizationCount: 2 }), "malformed", "authorization");
    expectRefused(extractCredential(headers({ authorization: value }), { queryParam: "access_token", query: `access_token=${TOKEN}` }), "malformed", "query");
    // the DPoP scheme's outcome is its own
    expect(extractCredential(headers({ authorization: `DPoP ${TOKEN}` }))).toEqual({ ok: true, token: TOKEN, source: "header", scheme: "dpop" });
    expect(extractCredential(headers({ authorization: value }))).toEqual(first);
  });

  it("refuses a malformed header every time it is sent", () => {
    const bad = `Bearer ${TOKEN}"`;
    for (let round = 0; round < 3; round++) {
      expectRefused(extractCredential(headers({ authorization: bad })), "malformed", "authorization");
      expect(extractCredential(headers({ authorization: `Bearer ${TOKEN}` })).ok).toBe(true);
    }
  });

  it("judges every token alike beyond the number it remembers", () => {
    for (let i = 0; i < 600; i++) {
      const good = `eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ2In0.sig-${i}-${"x".repeat(20)}`;
      expect(extractCredential(headers({ authorization: `Bearer ${good}` })).ok).toBe(true);
      expectRefused(extractCredential(headers({ authorization: `Bearer ${good.replace("eyJ", "e{J")}` })), "malformed", "authorization");
    }
  });

  it("refuses a token over the size limit before parsing it", () => {
    const huge = "a".repeat(1024 * 1024);
    const request = headers({ authorization: `Bearer ${huge}` });
    const started = performance.now();
    expectRefused(extractCredential(request), "too_large", "authorization");
    expect(performance.now() - started).toBeLessThan(100);
    expectRefused(extractCredential(headers({ authorization: `Bearer ${"a".repeat(600)}` }), { maxTokenBytes: 512 }), "too_large", "authorization");
    expect(extractCredential(headers({ authorization: `Bearer ${"a".repeat(8192)}` })).ok).toBe(true);
  });

  it("reports a missing credential", () => {
    expectRefused(extractCredential(headers({})), "missing_token", "authorization");
  });
});

describe("cookie", () => {
  it("is read only when named", () => {
    expectRefused(extractCredential(headers({ cookie: `session=${TOKEN}` })), "missing_token", "authorization");
    expect(extractCredential(headers({ cookie: `theme=dark; session=${TOKEN}` }), { cookie: "session" })).toEqual({ ok: true, token: TOKEN, source: "cookie" });
  });

  it("accepts a quoted cookie value", () => {
    expect(extractCredential(headers({ cookie: `session="${TOKEN}"` }), { cookie: "session" })).toEqual({ ok: true, token: TOKEN, source: "cookie" });
  });

  it("refuses two cookies of the same name (cookie tossing)", () => {
    expectRefused(extractCredential(headers({ cookie: `session=${TOKEN}; session=other` }), { cookie: "session" }), "malformed", "cookie");
  });

  it("prefers the Authorization header over an ambient cookie", () => {
    const outcome = extractCredential(headers({ authorization: `Bearer ${TOKEN}`, cookie: "session=other" }), { cookie: "session" });
    expect(outcome).toEqual({ ok: true, token: TOKEN, source: "header" });
  });

  it("refuses an oversized or malformed cookie token", () => {
    expectRefused(extractCredential(headers({ cookie: `session=${"a".repeat(9000)}` }), { cookie: "session" }), "too_large", "cookie");
    expectRefused(extractCredential(headers({ cookie: "session=a b" }), { cookie: "session" }), "malformed", "cookie");
  });
});

describe("query string", () => {
  it("is read only when the route names a parameter", () => {
    expectRefused(extractCredential(headers({}), { query: `access_token=${TOKEN}` }), "missing_token", "authorization");
    expect(extractCredential(headers({}), { queryParam: "access_token", query: `a=1&access_token=${TOKEN}` })).toEqual({ ok: true, token: TOKEN, source: "query" });
  });

  it("refuses the parameter twice", () => {
    expectRefused(extractCredential(headers({}), { queryParam: "access_token", query: `access_token=${TOKEN}&access_token=x` }), "malformed", "query");
  });

  it("refuses a token sent both in the header and the query (RFC 6750 §2)", () => {
    const outcome = extractCredential(headers({ authorization: `Bearer ${TOKEN}` }), { queryParam: "access_token", query: `access_token=${TOKEN}` });
    expectRefused(outcome, "malformed", "query");
  });

  it("refuses an oversized query token", () => {
    expectRefused(extractCredential(headers({}), { queryParam: "t", query: `t=${"a".repeat(9000)}` }), "too_large", "query");
    expectRefused(extractCredential(headers({}), { queryParam: "t", query: `t=${"a".repeat(1024 * 1024)}` }), "too_large", "query");
  });
});
