// The rollback rule's sliding window (issue #18) and the canary slice's hash.
import { describe, expect, it } from "vitest";
import { createSlidingCounts, slicePosition } from "../../../shared/rollout/index.ts";

describe("sliding counts", () => {
  it("counts within the window and forgets what falls out of it", () => {
    const counts = createSlidingCounts(60_000);
    const t0 = Date.UTC(2026, 10, 22, 10);
    counts.add(t0, true);
    counts.add(t0 + 10_000, false);
    counts.add(t0 + 30_000, true);
    expect(counts.totals(t0 + 30_000)).toEqual({ requests: 3, flagged: 2 });
    // One bucket (5 s) of slack at the window's old end, never more
    expect(counts.totals(t0 + 64_999)).toEqual({ requests: 2, flagged: 1 });
    expect(counts.totals(t0 + 100_000)).toEqual({ requests: 0, flagged: 0 });
  });

  it("reuses a bucket once its time has passed, however long the gap", () => {
    const counts = createSlidingCounts(60_000);
    for (let i = 0; i < 1000; i++) counts.add(i * 1000, i % 10 === 0);
    expect(counts.totals(999_000)).toEqual({ requests: 60, flagged: 6 });
  });
});

describe("slice position", () => {
  it("is stable for a principal and a candidate, differs between candidates, and spreads evenly", () => {
    expect(slicePosition("v1", "User", "vera")).toBe(slicePosition("v1", "User", "vera"));
    let same = 0;
    let under = 0;
    for (let i = 0; i < 10_000; i++) {
      const a = slicePosition("v1", "User", `u-${i}`);
      const b = slicePosition("v2", "User", `u-${i}`);
      expect(a).toBeGreaterThanOrEqual(0);
      expect(a).toBeLessThan(1);
      if (a < 0.1 === b < 0.1) same++;
      if (a < 0.1) under++;
    }
    expect(under).toBeGreaterThan(900);
    expect(under).toBeLessThan(1100);
    // Independent slices: about 0.9² + 0.1² = 82 % land on the same side by chance, not 100 %
    expect(same).toBeLessThan(8600);
  });

  it("tells apart uids whose parts run together", () => {
    expect(slicePosition("v1", "User", "ab")).not.toBe(slicePosition("v1", "Use", "rab"));
  });
});
