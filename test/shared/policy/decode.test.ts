import { describe, expect, it } from "vitest";
import { CedarRecord, Decimal, decodeValue, EntityUid, PolicyEvaluationError } from "../../../shared/policy/index.ts";

// Cedar's JSON value format: an escape object counts only as the object's sole key (issue #23).
describe("decodeValue: escapes", () => {
  it("reads a sole `__entity` with string type and id as an entity, extra inner keys allowed", () => {
    expect(decodeValue({ __entity: { type: "User", id: "a" } })).toEqual(new EntityUid("User", "a"));
    expect(decodeValue({ __entity: { type: "User", id: "a", note: 1 } })).toEqual(new EntityUid("User", "a"));
  });
  it("reads a sole `__extn` with `fn` and `arg`, or `fn` and an `args` list, as an extension value", () => {
    expect(decodeValue({ __extn: { fn: "decimal", arg: "1.5" } })).toBeInstanceOf(Decimal);
    expect(decodeValue({ __extn: { fn: "decimal", args: ["1.5"] } })).toBeInstanceOf(Decimal);
  });
  it("reads an escape beside other keys as a record", () => {
    expect(decodeValue({ __entity: { type: "User", id: "a" }, x: 1 })).toBeInstanceOf(CedarRecord);
    expect(decodeValue({ __extn: { fn: "decimal", arg: "1.5" }, y: 1 })).toBeInstanceOf(CedarRecord);
    expect(decodeValue({ __entity: { type: "User", id: "a" }, __extn: { fn: "decimal", arg: "1.5" } })).toBeInstanceOf(CedarRecord);
  });
  it("reads a malformed escape as a record", () => {
    for (const v of [{ __entity: { type: "User" } }, { __entity: { type: "User", id: 1 } }, { __entity: [] }, { __extn: { fn: "decimal" } }, { __extn: { fn: 1, arg: "1" } }, { __extn: { fn: "decimal", args: "1.5" } }, { __expr: 1 }]) {
      expect(decodeValue(v), JSON.stringify(v)).toBeInstanceOf(CedarRecord);
    }
  });
  it("refuses a sole `__expr` string, which Cedar no longer supports", () => {
    expect(() => decodeValue({ __expr: "1 + 1" })).toThrow(PolicyEvaluationError);
    expect(() => decodeValue({ __expr: "1 + 1" })).toThrow("the `__expr` escape is no longer supported");
  });
});
