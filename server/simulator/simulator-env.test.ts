import { describe, expect, it } from "vitest";
import { loadSimulatorConfig, SimulatorConfigError } from "./simulator-env.js";

describe("loadSimulatorConfig", () => {
  it("uses the standalone defaults for an empty environment", () => {
    expect(loadSimulatorConfig({})).toEqual({
      host: "127.0.0.1",
      port: 8090,
      models: undefined,
      apiKey: undefined,
      faults: undefined,
      chunkDelayMs: undefined,
    });
  });

  it("reads every variable", () => {
    const config = loadSimulatorConfig({
      SIMULATOR_HOST: "0.0.0.0",
      SIMULATOR_PORT: "9000",
      SIMULATOR_MODELS: "a, b",
      SIMULATOR_API_KEY: "secret",
      SIMULATOR_FAULTS: '[{"kind":"status","status":429,"times":1}]',
      SIMULATOR_CHUNK_DELAY_MS: "5",
    });
    expect(config).toEqual({
      host: "0.0.0.0",
      port: 9000,
      models: ["a", "b"],
      apiKey: "secret",
      faults: [{ kind: "status", status: 429, times: 1 }],
      chunkDelayMs: 5,
    });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it("treats empty variables as unset", () => {
    expect(loadSimulatorConfig({ SIMULATOR_PORT: "", SIMULATOR_API_KEY: " " }).port).toBe(8090);
  });

  describe.each([
    ["SIMULATOR_PORT", "abc", /SIMULATOR_PORT must be an integer from 0 to 65535/],
    ["SIMULATOR_PORT", "70000", /SIMULATOR_PORT must be an integer from 0 to 65535/],
    ["SIMULATOR_CHUNK_DELAY_MS", "-1", /SIMULATOR_CHUNK_DELAY_MS must be a whole number/],
    ["SIMULATOR_MODELS", "a,,b", /SIMULATOR_MODELS must be a comma-separated list/],
    ["SIMULATOR_FAULTS", "{", /SIMULATOR_FAULTS must be a JSON array.*not valid JSON/],
    ["SIMULATOR_FAULTS", '[{"kind":"explode"}]', /SIMULATOR_FAULTS must be a JSON array[\s\S]*kind/],
  ])("with %s=%j", (variable, value, message) => {
    it("fails naming the variable and what it allows", () => {
      let error: unknown;
      try {
        loadSimulatorConfig({ [variable]: value });
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(SimulatorConfigError);
      expect(error).toMatchObject({ variable, message: expect.stringMatching(message) });
    });
  });
});
