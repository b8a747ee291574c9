// Each adapter reads the configuration as JSON text and refuses text that is not an object with the
// shared shape check: the variable at fault, what came instead, and never the text of a string
// (a configuration encoded twice is a string that holds every secret of the file).
import { describe, expect, it } from "vitest";
import { withRoutes } from "../../functions/lambda/main.ts";
import { startFromEnv } from "../../functions/node/main.ts";
import { configFromEnv } from "../../functions/worker/env.ts";

const twice = JSON.stringify(JSON.stringify({ token: { issuers: [{ issuer: "x", secret: "a-shared-secret-of-32-bytes-long!" }] } }));
const routes = { routes: [] } as never;

const configError = (message: string) => expect.objectContaining({ name: "ConfigError", field: "GATEHOUSE_CONFIG", message });

describe("adapters: a configuration that is not a JSON object", () => {
  it("forward-auth server", async () => {
    await expect(startFromEnv({ GATEHOUSE_CONFIG: twice, GATEHOUSE_PROXY: "nginx", PORT: "0" })).rejects.toEqual(configError("GATEHOUSE_CONFIG: expected the gatehouse configuration as a JSON object, got a string"));
    await expect(startFromEnv({ GATEHOUSE_CONFIG: "[]", GATEHOUSE_PROXY: "nginx", PORT: "0" })).rejects.toEqual(configError("GATEHOUSE_CONFIG: expected the gatehouse configuration as a JSON object, got an array"));
  });

  it("Lambda authorizer", () => {
    expect(() => withRoutes(JSON.parse(twice), routes)).toThrow(configError("GATEHOUSE_CONFIG: expected the gatehouse configuration as a JSON object, in the environment or bundled with `--config`, got a string"));
  });

  it("Worker", () => {
    expect(() => configFromEnv({ GATEHOUSE_CONFIG: twice }, routes)).toThrow(configError("GATEHOUSE_CONFIG: expected the gatehouse configuration as a JSON object var, got a string"));
    expect(() => configFromEnv({}, routes)).toThrow(configError("GATEHOUSE_CONFIG: expected the gatehouse configuration as a JSON object var, got nothing"));
  });
});
