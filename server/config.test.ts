import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "./config.js";

describe("loadConfig", () => {
  it("runs on embedded defaults with an empty environment", () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      host: "127.0.0.1",
      port: 8080,
      openaiBaseUrl: undefined,
      models: ["sim-small", "sim-large"],
      maxIterations: 8,
      maxIterationsCap: 25,
      logLevel: "info",
      simulatorFaults: [],
    });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it("reads a provider and its models", () => {
    const config = loadConfig({
      OPENAI_BASE_URL: "https://api.openai.com/v1",
      OPENAI_API_KEY: "sk-x",
      AGENT_MODELS: " gpt-4o-mini , gpt-4o ",
    });
    expect(config.openaiBaseUrl).toBe("https://api.openai.com/v1");
    expect(config.models).toEqual(["gpt-4o-mini", "gpt-4o"]);
  });

  it("treats empty values as unset", () => {
    expect(loadConfig({ PORT: "", OPENAI_BASE_URL: "" }).port).toBe(8080);
  });

  describe.each([
    { env: { PORT: "http" }, problem: /PORT: must be a whole number between 0 and 65535 \(got "http"\)/ },
    { env: { PORT: "70000" }, problem: /PORT: must be at most 65535/ },
    { env: { OPENAI_BASE_URL: "localhost:1234" }, problem: /OPENAI_BASE_URL: must be an http\(s\) URL/ },
    { env: { AGENT_MODELS: "a,,b" }, problem: /AGENT_MODELS: must be a comma-separated list/ },
    { env: { AGENT_MODELS: "a,a" }, problem: /AGENT_MODELS: must not name a model twice/ },
    { env: { OPENAI_BASE_URL: "http://127.0.0.1:9/v1" }, problem: /AGENT_MODELS: must be set when OPENAI_BASE_URL is set/ },
    { env: { AGENT_MAX_ITERATIONS: "30" }, problem: /AGENT_MAX_ITERATIONS: must not exceed AGENT_MAX_ITERATIONS_CAP \(25\)/ },
    { env: { AGENT_MAX_ITERATIONS: "0" }, problem: /AGENT_MAX_ITERATIONS: must be at least 1/ },
    { env: { LOG_LEVEL: "loud" }, problem: /LOG_LEVEL: Invalid option/ },
    { env: { SIMULATOR_FAULTS: "{" }, problem: /SIMULATOR_FAULTS: must be a JSON array of fault rules/ },
    { env: { SIMULATOR_FAULTS: '[{"kind":"teapot"}]' }, problem: /SIMULATOR_FAULTS\.0\.kind/ },
  ])("rejects $env", ({ env, problem }) => {
    it("with a message naming the variable and what is allowed", () => {
      let error: unknown;
      try {
        loadConfig(env);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).message).toMatch(problem);
    });
  });

  it("lists every bad variable at once", () => {
    expect(() => loadConfig({ PORT: "x", LOG_LEVEL: "loud" })).toThrow(/PORT[\s\S]*LOG_LEVEL/);
  });
});
