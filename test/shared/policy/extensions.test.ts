import { describe, expect, it } from "vitest";
import { callExtension, parseDatetime, parseDecimal, parseDuration, parseIp, valueEquals, type Value } from "../../../shared/policy/index.ts";

const call = (name: string, ...args: Value[]): Value => callExtension(name, args);

describe("decimal", () => {
  it("parses up to four fractional digits", () => {
    expect(parseDecimal("1.5").value).toBe(15000);
    expect(parseDecimal("-0.0001").value).toBe(-1);
    expect(parseDecimal("922337203685477.5807").value).toBe(9223372036854775807n);
    expect(parseDecimal("-922337203685477.5808").value).toBe(-9223372036854775808n);
  });
  it("rejects malformed values, five digits and overflow", () => {
    for (const s of ["1", ".5", "1.", "1.23456", "+1.0", "1e3", "922337203685477.5808", "١.٥"]) {
      expect(() => parseDecimal(s), s).toThrow();
    }
  });
  it("compares by value, so 1.0 == 1.00", () => {
    expect(valueEquals(parseDecimal("1.0"), parseDecimal("1.00"))).toBe(true);
    expect(call("lessThan", parseDecimal("1.1"), parseDecimal("1.2"))).toBe(true);
    expect(call("greaterThanOrEqual", parseDecimal("-1.1"), parseDecimal("-1.1"))).toBe(true);
    expect(() => call("lessThan", parseDecimal("1.1"), 1)).toThrow(/type error/);
  });
});

describe("ip", () => {
  it("parses IPv4 and IPv6 with optional prefixes", () => {
    expect(parseIp("10.0.0.1")).toMatchObject({ v4: true, prefix: 32 });
    expect(parseIp("10.0.0.1").addr).toBe(0x0a000001n);
    expect(parseIp("::1")).toMatchObject({ v4: false, prefix: 128 });
    expect(parseIp("::1").addr).toBe(1n);
    expect(parseIp("2001:db8::/32")).toMatchObject({ v4: false, prefix: 32 });
    expect(parseIp("1:2:3:4:5:6:7::")).toMatchObject({ v4: false });
  });
  it("rejects leading zeros, embedded IPv4, bad prefixes and long strings", () => {
    for (const s of ["01.0.0.0", "1.2.3", "256.0.0.0", "::ffff:1.2.3.4", "10.0.0.0/33", "10.0.0.0/08", "::/129", "1::2::3", "1:2:3:4:5:6:7:8::", "10.0.0.0/", "fe80::1%eth0", ""]) {
      expect(() => parseIp(s), s).toThrow();
    }
  });
  it("checks ranges, loopback and multicast like Cedar", () => {
    expect(call("isInRange", parseIp("10.1.2.3"), parseIp("10.0.0.0/8"))).toBe(true);
    expect(call("isInRange", parseIp("10.0.0.0/7"), parseIp("10.0.0.0/8"))).toBe(false);
    expect(call("isInRange", parseIp("::1"), parseIp("0.0.0.0/0"))).toBe(false);
    expect(call("isLoopback", parseIp("127.0.0.0/8"))).toBe(true);
    expect(call("isLoopback", parseIp("127.0.0.0/7"))).toBe(false);
    expect(call("isLoopback", parseIp("::1"))).toBe(true);
    expect(call("isMulticast", parseIp("239.1.1.1"))).toBe(true);
    expect(call("isMulticast", parseIp("ff02::1"))).toBe(true);
    expect(call("isIpv6", parseIp("ff02::1"))).toBe(true);
  });
  it("treats host bits as part of the value", () => {
    expect(valueEquals(parseIp("10.0.0.1/24"), parseIp("10.0.0.0/24"))).toBe(false);
    expect(valueEquals(parseIp("10.0.0.1"), parseIp("10.0.0.1/32"))).toBe(true);
  });
});

describe("datetime and duration", () => {
  it("parses dates, times, milliseconds and offsets", () => {
    expect(parseDatetime("1970-01-01").ms).toBe(0);
    expect(parseDatetime("2024-02-29T12:00:00Z").ms).toBe(Date.UTC(2024, 1, 29, 12));
    expect(parseDatetime("2024-01-01T00:00:00.123+0130").ms).toBe(Date.UTC(2024, 0, 1) + 123 - 90 * 60_000);
    expect(parseDatetime("0000-01-01").ms).toBe(-62167219200000);
  });
  it("rejects invalid dates and patterns", () => {
    for (const s of ["2023-02-29", "2024-13-01", "2024-01-01T24:00:00Z", "2024-01-01T00:00:60Z", "2024-01-01T00:00:00", "2024-01-01T00:00:00+2400", "2024-01-01 00:00:00Z", "24-01-01"]) {
      expect(() => parseDatetime(s), s).toThrow();
    }
  });
  it("parses durations with units in order", () => {
    expect(parseDuration("1d2h3m4s5ms").ms).toBe(93784005);
    expect(parseDuration("-90m").ms).toBe(-5400000);
    expect(parseDuration("-9223372036854775808ms").ms).toBe(-9223372036854775808n);
    for (const s of ["", "-", "1h1d", "1.5h", "9223372036854775808ms", "106751991167301d"]) expect(() => parseDuration(s), s).toThrow();
  });
  it("implements offset, durationSince, toDate, toTime and the to* conversions", () => {
    const dt = parseDatetime("2024-03-10T05:06:07.089Z");
    expect(valueEquals(call("offset", dt, parseDuration("1d")), parseDatetime("2024-03-11T05:06:07.089Z"))).toBe(true);
    expect(call("toMilliseconds", call("durationSince", dt, parseDatetime("2024-03-10")))).toBe(18367089);
    expect(valueEquals(call("toDate", dt), parseDatetime("2024-03-10"))).toBe(true);
    expect(call("toSeconds", call("toTime", parseDatetime("1969-12-31T23:59:59Z")))).toBe(86399);
    expect(valueEquals(call("toDate", parseDatetime("1969-12-31T23:59:59Z")), parseDatetime("1969-12-31"))).toBe(true);
    expect(call("toHours", parseDuration("-1d1ms"))).toBe(-24);
    expect(call("toDays", parseDuration("47h"))).toBe(1);
    expect(() => call("offset", dt, parseDuration("9223372036854775807ms"))).toThrow(/overflow/);
  });
});
