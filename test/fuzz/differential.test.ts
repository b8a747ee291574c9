import fc from "fast-check";
import { describe, it } from "vitest";
import { differentialProperty, parserProperty, textProperty } from "./differential.ts";

// Random policies, entities and requests: the compiled module must decide exactly as cedar-wasm.
// Longer runs: `npm run fuzz -- --runs N [--generator est|text|all]`.
describe("differential: compiled policies vs cedar-wasm isAuthorized", () => {
  it("agrees on decision, reasons and errored policies", async () => {
    await fc.assert(differentialProperty(), { numRuns: 300, seed: 20261122 });
  }, 120_000);

  it("parses extension values (ip, decimal, datetime, duration) exactly as Cedar", async () => {
    await fc.assert(parserProperty(), { numRuns: 200, seed: 20261122 });
  }, 60_000);

  // issue #23: policy text with comments, large literals, records, `has` paths and any annotation;
  // entities and contexts as raw JSON with mixed and near-miss escape objects
  it("agrees on policy text and raw JSON entities and contexts", async () => {
    await fc.assert(textProperty(), { numRuns: 250, seed: 20261206 });
  }, 60_000);
});
