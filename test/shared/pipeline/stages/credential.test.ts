import { describe, expect, it } from "vitest";
import { credentialStage } from "../../../../shared/pipeline/stages/credential.ts";
import { stateFor } from "./_state.ts";

describe("credential stage", () => {
  const credential = credentialStage({ cookie: "session", queryParam: null, maxTokenBytes: 8192 });

  it("goes on with the bearer token of the Authorization header", () => {
    const state = stateFor("GET", "/x", { headers: new Headers({ authorization: "Bearer abc.def.ghi" }) });
    expect(credential(state)).toBeUndefined();
    expect(state.credential).toBe("abc.def.ghi");
  });

  it("reads the configured cookie when there is no header", () => {
    const state = stateFor("GET", "/x", { headers: new Headers({ cookie: "a=1; session=abc.def.ghi" }) });
    expect(credential(state)).toBeUndefined();
    expect(state.credential).toBe("abc.def.ghi");
  });

  it("refuses a request without a credential with 401 missing_token, naming where it looked", () => {
    const state = stateFor("GET", "/x");
    expect(credential(state)).toEqual({ status: 401, reason: "missing_token", detail: { stage: "credential", field: "authorization" } });
    expect(state.authError).toBe("missing_token");
  });

  describe("security", () => {
    it("refuses a duplicated Authorization header with 401 malformed", () => {
      const state = stateFor("GET", "/x", { headers: new Headers({ authorization: "Bearer abc.def.ghi" }), headerCounts: { authorization: 2 } });
      expect(credential(state)).toMatchObject({ status: 401, reason: "malformed" });
    });

    it("refuses a token over maxTokenBytes with 401 too_large before decoding it", () => {
      const small = credentialStage({ cookie: null, queryParam: null, maxTokenBytes: 8 });
      expect(small(stateFor("GET", "/x", { headers: new Headers({ authorization: "Bearer abc.def.ghi" }) }))).toMatchObject({ status: 401, reason: "too_large" });
    });
  });
});
