/** One element of a Cedar `like` pattern, as in the JSON EST. */
export type PatternElem = "Wildcard" | { Literal: string };

/**
 * A compiled `like` pattern. Literal runs are joined, and the common shapes (no wildcard, one
 * trailing or leading `*`) use plain string tests.
 */
export class LikePattern {
  private readonly parts: string[];
  private readonly kind: "exact" | "prefix" | "suffix" | "general";
  constructor(elems: readonly PatternElem[]) {
    // parts alternate literal, wildcard, literal, ...: parts[i] is the literal before wildcard i
    const parts: string[] = [""];
    for (const e of elems) {
      if (e === "Wildcard") parts.push("");
      else parts[parts.length - 1] += e.Literal;
    }
    this.parts = parts;
    if (parts.length === 1) this.kind = "exact";
    else if (parts.length === 2 && parts[1] === "") this.kind = "prefix";
    else if (parts.length === 2 && parts[0] === "") this.kind = "suffix";
    else this.kind = "general";
  }
  /** Whether `s` matches. Linear in `s` per literal part: no backtracking blow-up. */
  test(s: string): boolean {
    const p = this.parts;
    switch (this.kind) {
      case "exact":
        return s === p[0];
      case "prefix":
        return s.startsWith(p[0]);
      case "suffix":
        return s.endsWith(p[1]);
    }
    const first = p[0];
    const last = p[p.length - 1];
    if (s.length < first.length + last.length || !s.startsWith(first) || !s.endsWith(last)) return false;
    // greedy leftmost placement of the middle literals is optimal between fixed ends
    let pos = first.length;
    const end = s.length - last.length;
    for (let i = 1; i < p.length - 1; i++) {
      const at = s.indexOf(p[i], pos);
      if (at < 0 || at + p[i].length > end) return false;
      pos = at + p[i].length;
    }
    return true;
  }
}
