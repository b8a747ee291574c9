// The audit line's time: formatted by `Date` once per second, the milliseconds appended after, so
// any run of times, in order or not, must read exactly as `toISOString` would write each one.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isoTime } from "../../../shared/audit/fields.ts";

// Every time a `Date` can hold, in ms since the epoch (ECMA-262 §21.4.1.1); the generated times stay
// a second inside it, so a time and its next milliseconds are all valid
const MAX_MS = 8.64e15;

describe("isoTime", () => {
  it("matches toISOString for any sequence of times, whole or fractional, across and within seconds", () => {
    const time = fc.oneof(
      fc.integer({ min: -MAX_MS, max: MAX_MS - 1000 }),
      fc.double({ min: -MAX_MS, max: MAX_MS - 1000, noNaN: true }),
      // around a second's edges and the epoch, where the milliseconds roll over
      fc.integer({ min: -3_000, max: 3_000 }),
    );
    fc.assert(
      fc.property(fc.array(time, { minLength: 1, maxLength: 20 }), fc.integer({ min: 0, max: 999 }), (times, step) => {
        for (const ms of times) {
          expect(isoTime(ms)).toBe(new Date(ms).toISOString());
          // the next milliseconds of the same second, as consecutive decisions bring them
          expect(isoTime(ms + step)).toBe(new Date(ms + step).toISOString());
        }
      }),
      { numRuns: 2_000 },
    );
  });

  it("formats each millisecond of one second in turn, padding to three digits", () => {
    const start = Date.UTC(2031, 0, 2, 3, 4, 5);
    for (let milli = 0; milli < 1000; milli++) expect(isoTime(start + milli)).toBe(new Date(start + milli).toISOString());
    expect(isoTime(start + 7)).toBe("2031-01-02T03:04:05.007Z");
    expect(isoTime(start + 42)).toBe("2031-01-02T03:04:05.042Z");
  });

  it("refuses a time no Date can hold, as toISOString does", () => {
    expect(() => isoTime(Number.NaN)).toThrow(RangeError);
    expect(() => isoTime(MAX_MS + 1)).toThrow(RangeError);
  });
});
