import { describe, expect, it } from "vitest";
import { normalizePath, type PathRefusalReason } from "../../../shared/routes/index.ts";

function refusal(raw: string, limits?: { maxPathLength: number; maxSegments: number }) {
  const result = normalizePath(raw, limits);
  if (result.ok) throw new Error(`expected \`${raw}\` to be refused, got ${JSON.stringify(result.segments)}`);
  return result;
}

describe("normalizePath: accepted paths", () => {
  it("splits a plain path into its segments", () => {
    expect(normalizePath("/tenants/acme/orders/o-17")).toEqual({ ok: true, segments: ["tenants", "acme", "orders", "o-17"] });
  });

  it("answers no segments for the root", () => {
    expect(normalizePath("/")).toEqual({ ok: true, segments: [] });
  });

  it("decodes each segment exactly once", () => {
    expect(normalizePath("/tenants/a%20b/orders/%C3%A9t%C3%A9")).toEqual({ ok: true, segments: ["tenants", "a b", "orders", "été"] });
  });

  it("keeps the case of literal segments", () => {
    expect(normalizePath("/Admin/AUDIT")).toEqual({ ok: true, segments: ["Admin", "AUDIT"] });
  });

  it("accepts dots inside a segment", () => {
    expect(normalizePath("/files/report.v2..pdf/...")).toEqual({ ok: true, segments: ["files", "report.v2..pdf", "..."] });
  });
});

describe("normalizePath: refusals", () => {
  const cases: [string, string, PathRefusalReason, number | undefined][] = [
    ["a relative path", "tenants/acme", "not_absolute", undefined],
    ["an empty path", "", "not_absolute", undefined],
    ["an absolute-form target", "http://evil.test/admin", "not_absolute", undefined],
    ["a raw NUL", "/admin\u0000/audit", "nul_byte", 0],
    ["an encoded NUL", "/tenants/a%00b", "nul_byte", 1],
    ["a raw control character", "/tenants/a\nb", "control_character", 1],
    ["an encoded DEL", "/tenants/%7F", "control_character", 1],
    ["an encoded slash", "/tenants/a%2Fb/orders", "encoded_separator", 1],
    ["an encoded slash in lower case", "/tenants/a%2fb", "encoded_separator", 1],
    ["an encoded backslash", "/tenants/a%5Cb", "encoded_separator", 1],
    ["a raw backslash", "/tenants\\..\\admin", "encoded_separator", 0],
    ["a `..` segment", "/tenants/a/orders/../../admin/audit", "path_traversal", 3],
    ["a `.` segment", "/./admin/audit", "path_traversal", 0],
    ["an encoded `..`", "/tenants/a/orders/%2e%2e/%2e%2e/admin/audit", "path_traversal", 3],
    ["a mixed-encoded `..`", "/tenants/.%2E/admin", "path_traversal", 1],
    ["a `..;` segment (Tomcat path parameters)", "/tenants/a/..;/admin", "path_traversal", 2],
    ["a double slash", "/tenants//admin", "empty_segment", 1],
    ["a leading double slash", "//admin/audit", "empty_segment", 0],
    ["a trailing slash", "/tenants/acme/orders/", "empty_segment", 3],
    ["a doubly encoded `..`", "/tenants/%252e%252e/admin", "double_encoding", 1],
    ["a doubly encoded slash", "/tenants/a%252Fb", "double_encoding", 1],
    ["a truncated escape", "/tenants/a%2", "bad_encoding", 1],
    ["a non-hex escape", "/tenants/%zz", "bad_encoding", 1],
    ["escapes that are not UTF-8", "/tenants/%C0%AF", "bad_encoding", 1],
    ["a lone surrogate escape", "/tenants/%ED%A0%80", "bad_encoding", 1],
  ];
  for (const [title, raw, reason, segment] of cases) {
    it(`refuses ${title} with \`${reason}\``, () => {
      const result = refusal(raw);
      expect(result.reason).toBe(reason);
      expect(result.field).toBe("path");
      expect(result.segment).toBe(segment);
    });
  }

  it("refuses a path longer than maxPathLength before decoding it", () => {
    const result = refusal(`/${"a".repeat(100)}`, { maxPathLength: 100, maxSegments: 32 });
    expect(result.reason).toBe("path_too_long");
    expect(normalizePath(`/${"a".repeat(99)}`, { maxPathLength: 100, maxSegments: 32 }).ok).toBe(true);
  });

  it("refuses more segments than maxSegments with `path_too_long`", () => {
    expect(refusal("/a/b/c/d", { maxPathLength: 2048, maxSegments: 3 }).reason).toBe("path_too_long");
    expect(normalizePath("/a/b/c", { maxPathLength: 2048, maxSegments: 3 }).ok).toBe(true);
  });

  it("refuses the default 2049-character path", () => {
    expect(refusal(`/${"x".repeat(2048)}`).reason).toBe("path_too_long");
  });
});

describe("normalizePath: security", () => {
  it("never throws on arbitrary input", () => {
    const alphabet = ["/", "%", "2", "e", "E", "f", "F", ".", ";", "\\", "\u0000", "a", "%C3", "%A9", "%25", "\uD800", "é"];
    let seed = 7;
    for (let n = 0; n < 5000; n++) {
      let raw = "/";
      const length = (seed = (seed * 1103515245 + 12345) >>> 0) % 24;
      for (let i = 0; i < length; i++) raw += alphabet[(seed = (seed * 1103515245 + 12345) >>> 0) % alphabet.length];
      const result = normalizePath(raw);
      if (result.ok) {
        // an accepted path never carries a separator, a dot segment or an escape an origin would decode again
        for (const segment of result.segments) {
          expect(segment).not.toMatch(/[/\\\u0000]/);
          expect(segment === "." || segment === ".." || segment.startsWith("..;")).toBe(false);
          expect(segment).not.toMatch(/%[0-9a-fA-F]{2}/);
          expect(segment).not.toBe("");
        }
      }
    }
  });

  it("reuses one refusal object per reason, so a flood of bad paths allocates nothing", () => {
    expect(normalizePath("relative")).toBe(normalizePath("also-relative"));
  });
});
