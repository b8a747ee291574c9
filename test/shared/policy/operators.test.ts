import { describe, expect, it } from "vitest";
import { CedarRecord, decodeValue, EntityUid, LikePattern, ops, RequestEntities, StaticEntities, type RequestView, type Value } from "../../../shared/policy/index.ts";

const statics = new StaticEntities([
  { uid: { type: "Role", id: "viewer" }, attrs: {}, parents: [] },
  { uid: { type: "Role", id: "editor" }, attrs: {}, parents: [{ type: "Role", id: "viewer" }] },
  { uid: { type: "Role", id: "admin" }, attrs: { level: 3 }, parents: [{ type: "Role", id: "editor" }] },
]);

function view(entities = new RequestEntities(statics, [])): RequestView {
  const u = new EntityUid("User", "alice");
  return { principal: u, action: u, resource: u, context: new CedarRecord(new Map()), entities, pa: ops.NO_ATTRS, ra: ops.NO_ATTRS, cx: ops.NO_ATTRS };
}

describe("like", () => {
  const like = (p: string, s: string): boolean => {
    const elems = [...p].map((c) => (c === "*" ? ("Wildcard" as const) : { Literal: c }));
    return new LikePattern(elems).test(s);
  };
  it("matches wildcards anywhere", () => {
    expect(like("*", "")).toBe(true);
    expect(like("a*c", "abbbc")).toBe(true);
    expect(like("a*c", "abbbcd")).toBe(false);
    expect(like("*b*b*", "abab")).toBe(true);
    expect(like("*aa*aa", "aaa")).toBe(false);
    expect(like("a**", "a")).toBe(true);
    expect(like("😀*", "😀x")).toBe(true);
  });
  it("treats an escaped star as a literal", () => {
    expect(new LikePattern([{ Literal: "*" }]).test("*")).toBe(true);
    expect(new LikePattern([{ Literal: "*" }]).test("x")).toBe(false);
  });
  it("stays fast on hostile input", () => {
    const p = new LikePattern(["Wildcard", { Literal: "a" }, "Wildcard", { Literal: "a" }, "Wildcard", { Literal: "a" }, "Wildcard", { Literal: "b" }]);
    const t = performance.now();
    expect(p.test("a".repeat(100_000))).toBe(false);
    expect(performance.now() - t).toBeLessThan(100);
  });
});

describe("entity hierarchy", () => {
  it("resolves `in` transitively through static entities", () => {
    const r = view();
    expect(ops.isIn(r, new EntityUid("Role", "admin"), new EntityUid("Role", "viewer"))).toBe(true);
    expect(ops.isIn(r, new EntityUid("Role", "viewer"), new EntityUid("Role", "admin"))).toBe(false);
  });
  it("resolves a request principal's parents through the static hierarchy", () => {
    const re = new RequestEntities(statics, [{ uid: { type: "User", id: "alice" }, attrs: {}, parents: [{ type: "Role", id: "editor" }] }]);
    const r = view(re);
    expect(ops.isIn(r, new EntityUid("User", "alice"), new EntityUid("Role", "viewer"))).toBe(true);
    expect(ops.isIn(r, new EntityUid("User", "alice"), new EntityUid("Role", "admin"))).toBe(false);
  });
  it("checks every item of an `in` set and errors on a non-entity", () => {
    const r = view();
    const admin = new EntityUid("Role", "admin");
    expect(ops.isIn(r, admin, decodeValue([{ __entity: { type: "Role", id: "editor" } }]))).toBe(true);
    expect(() => ops.isIn(r, admin, decodeValue([{ __entity: { type: "Role", id: "admin" } }, 1]))).toThrow(/type error/);
    expect(() => ops.isIn(r, 1, admin)).toThrow(/type error/);
  });
  it("gives a missing entity no attributes: `has` is false, `.` errors", () => {
    const r = view();
    const ghost = new EntityUid("User", "ghost");
    expect(ops.has(r, ghost, "x")).toBe(false);
    expect(() => ops.attr(r, ghost, "x")).toThrow(/does not exist/);
    expect(ops.attr(r, new EntityUid("Role", "admin"), "level")).toBe(3);
  });
  it("survives cycles in the hierarchy", () => {
    const s = new StaticEntities([
      { uid: { type: "G", id: "a" }, parents: [{ type: "G", id: "b" }] },
      { uid: { type: "G", id: "b" }, parents: [{ type: "G", id: "a" }] },
    ]);
    expect([...s.ancestorsOf(new EntityUid("G", "a"))].length).toBe(2);
  });
});

describe("equality and comparison", () => {
  const v = (j: unknown): Value => decodeValue(j);
  it("compares sets as sets and records structurally", () => {
    expect(ops.eq(v([1, 2, 2]), v([2, 1]))).toBe(true);
    expect(ops.eq(v({ a: [1], b: "x" }), v({ b: "x", a: [1] }))).toBe(true);
    expect(ops.eq(v({ a: 1 }), v({ a: 1, b: 2 }))).toBe(false);
  });
  it("returns false for `==` across types but errors for `<`", () => {
    expect(ops.eq(1, "1")).toBe(false);
    expect(() => ops.lt(1, "1")).toThrow(/type error/);
    expect(ops.lt(v({ __extn: { fn: "datetime", arg: "2020-01-01" } }), v({ __extn: { fn: "datetime", arg: "2021-01-01" } }))).toBe(true);
    expect(() => ops.lt(v({ __extn: { fn: "decimal", arg: "1.0" } }), v({ __extn: { fn: "decimal", arg: "2.0" } }))).toThrow(/type error/);
  });
  it("requires booleans for logic", () => {
    expect(() => ops.bool(1)).toThrow(/expected bool, got long/);
  });
});
