import { describe, expect, it } from "vitest";
import { traceIdFrom } from "../../../shared/audit/index.ts";

const TP = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

describe("trace id: sources in order", () => {
  it("takes the trace-id from a valid traceparent", () => {
    expect(traceIdFrom(new Headers({ traceparent: TP, "cf-ray": "8f1c2a3b4d5e6f70-AMS" }), "req-1")).toBe("4bf92f3577b34da6a3ce929d0e0e4736");
  });

  it("falls back to cf-ray", () => {
    expect(traceIdFrom(new Headers({ "cf-ray": "8f1c2a3b4d5e6f70-AMS" }), "req-1")).toBe("8f1c2a3b4d5e6f70-AMS");
  });

  it("falls back to the platform request id (API Gateway)", () => {
    expect(traceIdFrom(new Headers(), "c6af9ac6-7b61-11e6-9a41-93e8deadbeef")).toBe("c6af9ac6-7b61-11e6-9a41-93e8deadbeef");
  });

  it("is null when there is none", () => {
    expect(traceIdFrom(new Headers())).toBeNull();
    expect(traceIdFrom(undefined, null)).toBeNull();
  });

  it("reads a plain header record (lower-case names), as Lambda events carry", () => {
    expect(traceIdFrom({ traceparent: TP })).toBe("4bf92f3577b34da6a3ce929d0e0e4736");
  });

  it("accepts a future version with extra fields (W3C forward compatibility)", () => {
    expect(traceIdFrom(new Headers({ traceparent: "cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra" }))).toBe(
      "4bf92f3577b34da6a3ce929d0e0e4736",
    );
  });
});

describe("trace id: security (malformed values are skipped, never copied)", () => {
  const bad: Array<[string, string]> = [
    ["version ff", "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"],
    ["an all-zero trace-id", "00-00000000000000000000000000000000-00f067aa0ba902b7-01"],
    ["an all-zero parent-id", "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01"],
    ["upper-case hex", "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01"],
    ["version 00 with extra fields", `${TP}-extra`],
    ["a short trace-id", "00-4bf92f3577b34da6a3ce929d0e0e47-00f067aa0ba902b7-01"],
    ["a flags field that is not hex", '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0"'],
  ];
  for (const [title, value] of bad) {
    it(`ignores a traceparent with ${title}`, () => {
      expect(traceIdFrom(new Headers({ traceparent: value }), "fallback-id")).toBe("fallback-id");
    });
  }

  // Issue #22: the last traceparent's answer is remembered; a different value is checked afresh
  it("judges each value on its own when valid and malformed values alternate", () => {
    for (let round = 0; round < 2; round++) {
      expect(traceIdFrom(new Headers({ traceparent: TP }), "fallback-id")).toBe("4bf92f3577b34da6a3ce929d0e0e4736");
      expect(traceIdFrom(new Headers({ traceparent: bad[0][1] }), "fallback-id")).toBe("fallback-id");
      expect(traceIdFrom(new Headers({ traceparent: bad[0][1] }), "other-id")).toBe("other-id");
    }
  });

  it("ignores a cf-ray with characters outside an id", () => {
    expect(traceIdFrom({ "cf-ray": '8f1c"}, {"evil": 1' }, "fallback-id")).toBe("fallback-id");
  });

  it("ignores an over-long request id", () => {
    expect(traceIdFrom(undefined, "a".repeat(129))).toBeNull();
  });
});
