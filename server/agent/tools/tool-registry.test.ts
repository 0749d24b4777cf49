import type { ToolDefinition as LangChainToolDefinition } from "@langchain/core/language_models/base";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  createToolRegistry,
  defineTool,
  isToolRegistrationError,
  type AgentTool,
  type ToolRegistrationErrorReason,
} from "./index.js";

function toolNamed(name: string, extra: Partial<AgentTool> = {}): AgentTool {
  return {
    ...defineTool({
      name,
      description: `The ${name} tool.`,
      schema: z.object({ value: z.string().describe("Any text") }),
      invoke: async ({ value }) => value,
    }),
    ...extra,
  };
}

function registrationFailure(register: () => void): { reason: ToolRegistrationErrorReason; message: string } {
  try {
    register();
  } catch (error) {
    if (isToolRegistrationError(error)) {
      return { reason: error.reason, message: error.message };
    }
    throw error;
  }
  throw new Error("expected the registration to fail");
}

describe("createToolRegistry", () => {
  it("finds registered tools by name and lists them in registration order", () => {
    const registry = createToolRegistry([toolNamed("b"), toolNamed("a")]);
    registry.register(toolNamed("c"));

    expect(registry.get("a")?.name).toBe("a");
    expect(registry.get("missing")).toBeUndefined();
    expect(registry.list().map((tool) => tool.name)).toEqual(["b", "a", "c"]);
  });

  it("does not find inherited object properties as tools", () => {
    expect(createToolRegistry().get("constructor")).toBeUndefined();
  });

  it("refuses a second tool with the same name", () => {
    const registry = createToolRegistry([toolNamed("search")]);

    const failure = registrationFailure(() => registry.register(toolNamed("search")));

    expect(failure).toEqual({
      reason: "duplicate_name",
      message: 'a tool named "search" is already registered; tool names must be unique',
    });
    expect(registry.list()).toHaveLength(1);
  });

  it.each(["", "has space", "dotted.name", "ünïcode", "a".repeat(65), "semi;colon"])(
    "refuses the invalid name %j",
    (name) => {
      const failure = registrationFailure(() => createToolRegistry([toolNamed(name)]));

      expect(failure.reason).toBe("invalid_name");
      expect(failure.message).toContain("use 1 to 64 letters, digits");
    },
  );

  it.each(["a", "get_weather", "get-weather-v2", "A1", "a".repeat(64)])("accepts the valid name %j", (name) => {
    expect(createToolRegistry([toolNamed(name)]).get(name)).toBeDefined();
  });

  it.each([0, -5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 31])("refuses the timeout %d", (timeoutMs) => {
    expect(registrationFailure(() => createToolRegistry([toolNamed("slow", { timeoutMs })])).reason).toBe(
      "invalid_timeout",
    );
  });

  describe.each([
    ["a schema that is not an object", z.string()],
    ["a schema with no JSON Schema form", z.object({ when: z.date() })],
  ])("refuses %s", (_, schema) => {
    it("at registration, naming the tool", () => {
      const failure = registrationFailure(() => createToolRegistry([toolNamed("odd", { schema })]));

      expect(failure.reason).toBe("invalid_schema");
      expect(failure.message).toContain('tool "odd"');
    });
  });

  it("describes tools as OpenAI function definitions without a $schema key", () => {
    const registry = createToolRegistry([toolNamed("echo")]);

    expect(registry.definitions()).toEqual([
      {
        type: "function",
        function: {
          name: "echo",
          description: "The echo tool.",
          parameters: {
            type: "object",
            properties: { value: { type: "string", description: "Any text" } },
            required: ["value"],
          },
        },
      },
    ]);
  });

  it("describes the input side of a schema, so a field with a default is optional", () => {
    const tool = defineTool({
      name: "paged",
      description: "Pages.",
      schema: z.object({ page: z.number().int().default(1) }),
      invoke: async ({ page }) => String(page),
    });

    const parameters = createToolRegistry([tool]).definitions()[0]?.function.parameters;

    expect(parameters).toMatchObject({ properties: { page: { type: "integer", default: 1 } } });
    expect(parameters?.["required"]).toBeUndefined();
  });

  it("removes an unregistered tool from lookups, the list and the definitions, and can take it back", () => {
    const registry = createToolRegistry([toolNamed("a"), toolNamed("b")]);
    expect(registry.unregister("a")).toBe(true);
    expect(registry.unregister("a")).toBe(false);
    expect(registry.get("a")).toBeUndefined();
    expect(registry.list().map((tool) => tool.name)).toEqual(["b"]);
    expect(registry.definitions().map((definition) => definition.function.name)).toEqual(["b"]);
    registry.register(toolNamed("a"));
    expect(registry.list().map((tool) => tool.name)).toEqual(["b", "a"]);
  });

  it("describes a tool that brings its own JSON Schema with that schema", () => {
    const parameters = { type: "object", properties: { city: { type: "string", format: "uri" } }, required: ["city"] };
    const registry = createToolRegistry([toolNamed("mcp_tool", { parameters })]);
    expect(registry.definitions()[0]?.function.parameters).toEqual(parameters);
    expect(registrationFailure(() => registry.register(toolNamed("not_object", { parameters: { type: "string" } }))).reason).toBe("invalid_schema");
  });

  it("computes definitions once per registration, not per call", () => {
    const registry = createToolRegistry([toolNamed("a")]);
    const first = registry.definitions();

    expect(registry.definitions()).toBe(first);

    registry.register(toolNamed("b"));
    expect(registry.definitions()).not.toBe(first);
    expect(registry.definitions().map((definition) => definition.function.name)).toEqual(["a", "b"]);
    expect(first).toHaveLength(1);
  });

  it("hands out lists that cannot be changed behind the registry's back", () => {
    const registry = createToolRegistry([toolNamed("a")]);

    expect(Object.isFrozen(registry.list())).toBe(true);
    expect(Object.isFrozen(registry.definitions())).toBe(true);
  });

  it("produces definitions LangChain's bindTools accepts as they are", () => {
    const definitions: readonly LangChainToolDefinition[] = createToolRegistry([toolNamed("a")]).definitions();

    expect(definitions[0]?.type).toBe("function");
  });
});
