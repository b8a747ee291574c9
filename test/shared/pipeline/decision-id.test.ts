// Issue #22: decision ids are written in one piece from batched random bytes; they must still be
// version 4 UUIDs, each one new, across the refill of the random batch.
import { describe, expect, it } from "vitest";
import { newDecisionId } from "../../../shared/pipeline/decision-id.ts";

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe("newDecisionId", () => {
  it("makes lower-case version 4 UUIDs of the RFC 9562 variant", () => {
    for (let i = 0; i < 300; i++) expect(newDecisionId()).toMatch(UUID_V4);
  });

  it("never repeats an id, also past a refill of its random bytes (128 ids per draw)", () => {
    const ids = new Set<string>();
    for (let i = 0; i < 1000; i++) ids.add(newDecisionId());
    expect(ids.size).toBe(1000);
  });

  it("uses every hex digit in every free position (the bytes are random, not a counter)", () => {
    // 2000 ids: each free hex position sees all 16 digits with overwhelming probability (1 - 16·(15/16)^2000)
    const seen = Array.from({ length: 36 }, () => new Set<string>());
    for (let i = 0; i < 2000; i++) {
      const id = newDecisionId();
      for (let p = 0; p < 36; p++) seen[p].add(id[p]);
    }
    for (let p = 0; p < 36; p++) {
      if (p === 8 || p === 13 || p === 18 || p === 23) expect([...seen[p]]).toEqual(["-"]);
      else if (p === 14) expect([...seen[p]]).toEqual(["4"]);
      else if (p === 19) expect([...seen[p]].sort()).toEqual(["8", "9", "a", "b"]);
      else expect(seen[p].size).toBe(16);
    }
  });
});
