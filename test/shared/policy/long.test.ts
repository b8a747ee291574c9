import { describe, expect, it } from "vitest";
import { addLong, mulLong, negLong, subLong, toLong, PolicyEvaluationError } from "../../../shared/policy/index.ts";

const MAX = 9223372036854775807n;
const MIN = -9223372036854775808n;

describe("Long arithmetic", () => {
  it("keeps safe integers as numbers and larger ones as bigint", () => {
    expect(addLong(1, 2)).toBe(3);
    expect(addLong(Number.MAX_SAFE_INTEGER, 1)).toBe(9007199254740992n);
    expect(subLong(9007199254740992n, 1)).toBe(Number.MAX_SAFE_INTEGER);
    expect(toLong(5n)).toBe(5);
  });
  it("multiplies exactly past 2^53", () => {
    expect(mulLong(3037000499, 3037000499)).toBe(9223372030926249001n);
    expect(mulLong(0, -5)).toBe(0);
    expect(Object.is(mulLong(0, -5), -0)).toBe(false);
  });
  it("reaches the 64-bit bounds without error", () => {
    expect(addLong(MAX - 1n, 1)).toBe(MAX);
    expect(subLong(MIN + 1n, 1)).toBe(MIN);
    expect(negLong(MAX)).toBe(-MAX);
  });
  it("raises an overflow error past the bounds", () => {
    expect(() => addLong(MAX, 1)).toThrow(PolicyEvaluationError);
    expect(() => subLong(MIN, 1)).toThrow(/overflow while attempting to subtract/);
    expect(() => mulLong(MAX, 2)).toThrow(/multiply/);
    expect(() => negLong(MIN)).toThrow(/negate/);
  });
});
