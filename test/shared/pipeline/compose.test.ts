import { describe, expect, it } from "vitest";
import { compose } from "../../../shared/pipeline/compose.ts";
import { isPromise, newState, type NamedStage, type Verdict } from "../../../shared/pipeline/state.ts";

const END: Verdict = { status: 200, reason: "allowed" };
const state = () => newState({ platform: "node", method: "GET", path: "/", headers: new Headers() }, "d", 0);

function recording(log: string[], name: NamedStage["name"], answer: () => Verdict | undefined | Promise<Verdict | undefined>): NamedStage {
  return { name, run: () => (log.push(name), answer()) };
}

describe("compose", () => {
  it("runs the stages in order until one answers, and no further", () => {
    const log: string[] = [];
    const run = compose([recording(log, "path", () => undefined), recording(log, "route", () => END), recording(log, "credential", () => undefined)]);
    expect(run(state())).toBe(END);
    expect(log).toEqual(["path", "route"]);
  });

  it("answers synchronously when no stage returns a Promise: no microtask turn", () => {
    let microtaskRan = false;
    queueMicrotask(() => (microtaskRan = true));
    const answer = compose([recording([], "path", () => undefined), recording([], "decision", () => END)])(state());
    expect(isPromise(answer)).toBe(false);
    expect(microtaskRan).toBe(false);
  });

  it("awaits only a stage that returns a Promise, then goes on with the rest", async () => {
    const log: string[] = [];
    const run = compose([recording(log, "token", () => Promise.resolve(undefined)), recording(log, "decision", () => END)]);
    const answer = run(state());
    expect(isPromise(answer)).toBe(true);
    expect(log).toEqual(["token"]);
    expect(await answer).toBe(END);
    expect(log).toEqual(["token", "decision"]);
  });

  it("names the running stage in the state, so a throw can be attributed", () => {
    const s = state();
    const run = compose([recording([], "path", () => undefined), { name: "request", run: () => { throw new Error("boom"); } }]);
    expect(() => run(s)).toThrow("boom");
    expect(s.stage).toBe("request");
  });

  it("lists its stages' names", () => {
    expect(compose([recording([], "path", () => END)]).names).toEqual(["path"]);
  });
});
