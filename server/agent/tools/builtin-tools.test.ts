import { describe, expect, it } from "vitest";
import { createBuiltinTools, createToolRegistry } from "./index.js";

describe("createBuiltinTools", () => {
  const registry = createToolRegistry(createBuiltinTools());

  it("provides the calculator, the clock and the inventory, all registrable together", () => {
    expect(registry.list().map((tool) => tool.name)).toEqual(["calculator", "current_time", "inventory_lookup"]);
  });

  describe.each([
    ["calculator", { expression: "string" }, ["expression"]],
    ["current_time", { timezone: "string" }, []],
    ["inventory_lookup", { query: "string" }, ["query"]],
  ])("the %s definition", (name, propertyTypes, required) => {
    const definition = registry.definitions().find((candidate) => candidate.function.name === name);
    const parameters = definition?.function.parameters ?? {};

    it("is an OpenAI function with a description", () => {
      expect(definition?.type).toBe("function");
      expect(definition?.function.description.length).toBeGreaterThan(20);
    });

    it("takes an object whose properties are described", () => {
      expect(parameters["type"]).toBe("object");
      expect(parameters["$schema"]).toBeUndefined();
      const properties = parameters["properties"] as Record<string, { type: string; description?: string }>;
      expect(Object.fromEntries(Object.entries(properties).map(([key, value]) => [key, value.type]))).toEqual(
        propertyTypes,
      );
      for (const property of Object.values(properties)) {
        expect(property.description).toBeTruthy();
      }
    });

    it(`requires ${required.length === 0 ? "nothing" : required.join(", ")}`, () => {
      expect(parameters["required"] ?? []).toEqual(required);
    });
  });
});
