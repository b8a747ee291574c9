import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { maskClientIp, resolveAuditConfig } from "../../../shared/audit/index.ts";
import { createHmacSha256 } from "../../../shared/audit/keyed-hash.ts";

const SALT = "audit-salt-0123456789";
const hash = resolveAuditConfig({ clientIp: "hash", clientIpSalt: SALT }).clientIpHash;
const hmacHex = (input: string) => createHmac("sha256", SALT).update(input).digest("hex").slice(0, 32);

describe("client ip: truncate", () => {
  const cases: Array<[string, string]> = [
    ["203.0.113.77", "203.0.113.0/24"],
    ["10.0.0.1", "10.0.0.0/24"],
    ["2001:db8:85a3:8d3:1319:8a2e:370:7348", "2001:db8:85a3::/48"],
    ["2001:DB8:85A3::1", "2001:db8:85a3::/48"],
    ["::1", "0:0:0::/48"],
    ["::ffff:198.51.100.23", "198.51.100.0/24"],
    ["fe80::", "fe80:0:0::/48"],
  ];
  for (const [ip, expected] of cases) {
    it(`truncates ${ip} to ${expected}`, () => expect(maskClientIp(ip, "truncate", undefined)).toBe(expected));
  }
});

describe("client ip: hash", () => {
  it("is HMAC-SHA-256 with the salt, first 128 bits in hex", () => {
    expect(maskClientIp("203.0.113.77", "hash", hash)).toBe(hmacHex("203.0.113.77"));
  });

  it("hashes one canonical form per IPv6 address", () => {
    const a = maskClientIp("2001:DB8::1", "hash", hash);
    expect(a).toBe(maskClientIp("2001:db8:0:0:0:0:0:1", "hash", hash));
    expect(a).toBe(hmacHex("2001:db8:0:0:0:0:0:1"));
  });

  it("hashes an IPv4-mapped IPv6 address like the IPv4 address", () => {
    expect(maskClientIp("::ffff:203.0.113.77", "hash", hash)).toBe(maskClientIp("203.0.113.77", "hash", hash));
  });

  it("gives different hashes for different salts", () => {
    const other = resolveAuditConfig({ clientIp: "hash", clientIpSalt: "another-salt-9876543210" }).clientIpHash;
    expect(maskClientIp("203.0.113.77", "hash", other)).not.toBe(maskClientIp("203.0.113.77", "hash", hash));
  });
});

describe("client ip: keep and omit", () => {
  it("keeps a valid address as given", () => {
    expect(maskClientIp("203.0.113.77", "keep", undefined)).toBe("203.0.113.77");
    expect(maskClientIp("2001:DB8::1", "keep", undefined)).toBe("2001:db8::1");
  });

  it("omits every address in omit mode", () => {
    expect(maskClientIp("203.0.113.77", "omit", undefined)).toBeNull();
  });
});

describe("client ip: security", () => {
  const invalid = [
    "",
    "not-an-ip",
    "203.0.113",
    "203.0.113.256",
    "203.0.113.07",
    "203.0.113.77 ",
    "203.0.113.77, 10.0.0.1",
    "1:2:3:4:5:6:7:8:9",
    "1::2::3",
    "2001:db8:",
    "fe80::1%eth0",
    "::ffff:1.2.3",
    "12345::",
    "a".repeat(200),
    "<script>",
  ];
  for (const ip of invalid) {
    it(`never copies \`${ip.slice(0, 24)}\` (not an address) in any mode`, () => {
      for (const mode of ["keep", "truncate", "hash"] as const) expect(maskClientIp(ip, mode, hash)).toBeNull();
    });
  }

  it("never returns the raw address in truncate or hash mode", () => {
    for (const ip of ["203.0.113.77", "2001:db8:85a3:8d3:1319:8a2e:370:7348"]) {
      expect(maskClientIp(ip, "truncate", undefined)).not.toContain(ip);
      expect(maskClientIp(ip, "hash", hash)).not.toContain(ip);
    }
  });

  it("returns null for a missing address or a non-string", () => {
    expect(maskClientIp(undefined, "keep", undefined)).toBeNull();
    expect(maskClientIp(null, "keep", undefined)).toBeNull();
    expect(maskClientIp(42 as unknown as string, "keep", undefined)).toBeNull();
  });
});

describe("keyed hash (HMAC-SHA-256 from @noble/hashes): agrees with node:crypto", () => {
  it("for keys shorter than, equal to and longer than one block, and multi-block messages", () => {
    for (const key of ["k", "0123456789abcdef", "x".repeat(64), "y".repeat(65), "z".repeat(300), "sel-ключ-鍵"]) {
      const mine = createHmacSha256(key);
      for (const message of ["", "a", "203.0.113.77", "b".repeat(55), "c".repeat(56), "d".repeat(64), "e".repeat(200), "ünïcødé"]) {
        expect(mine.hex(message)).toBe(createHmac("sha256", key).update(message).digest("hex"));
      }
    }
  });

  it("stays exact across more distinct addresses than it remembers, and on repeats", () => {
    const mine = createHmacSha256("0123456789abcdef-salt", 32);
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 1100; i++) {
        const address = `10.${i >> 8}.${i & 0xff}.${round}`;
        expect(mine.hex(address)).toBe(createHmac("sha256", "0123456789abcdef-salt").update(address).digest("hex").slice(0, 32));
      }
    }
  });
});
