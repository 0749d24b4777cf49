import { describe, expect, it } from "vitest";
import type { AgentTool } from "../agent-tool.js";
import { createToolRegistry } from "../tool-registry.js";
import { createToolRunner } from "../tool-runner.js";
import { argumentsSchemaOf } from "./json-schema-arguments.js";

/** A tool described by JSON Schema, as an MCP server's is, recording the arguments it was called with. */
function jsonSchemaTool(parameters: Record<string, unknown>, calls: unknown[]): AgentTool<Record<string, unknown>> {
  return {
    name: "forecast",
    description: "The forecast",
    schema: argumentsSchemaOf(parameters),
    parameters,
    invoke: async (args) => {
      calls.push(args);
      return "sunny";
    },
  };
}

const forecastSchema = {
  type: "object",
  properties: {
    city: { type: "string" },
    days: { type: "integer", minimum: 1, maximum: 7 },
    units: { enum: ["metric", "imperial"] },
    place: { type: "object", properties: { lat: { type: "number" } }, required: ["lat"] },
  },
  required: ["city"],
  additionalProperties: false,
};

describe("arguments checked against a JSON Schema", () => {
  const calls: unknown[] = [];
  const runner = createToolRunner({ registry: createToolRegistry([jsonSchemaTool(forecastSchema, calls)]) });
  const run = (args: string) => runner.run({ id: "1", name: "forecast", arguments: args }, new AbortController().signal);

  it("passes valid arguments through unchanged", async () => {
    await expect(run('{"city": "Oslo", "days": 3, "place": {"lat": 59.9}}')).resolves.toMatchObject({ status: "ok", result: "sunny" });
    expect(calls).toEqual([{ city: "Oslo", days: 3, place: { lat: 59.9 } }]);
  });

  it.each([
    ['{"days": 3}', "city: Required"],
    ['{"city": 3}', "city: must be string"],
    ['{"city": "Oslo", "days": 9}', "days: must be <= 7"],
    ['{"city": "Oslo", "units": "kelvin"}', 'units: must be one of "metric", "imperial"'],
    ['{"city": "Oslo", "place": {}}', "place.lat: Required"],
    ['{"city": "Oslo", "wind": true}', 'arguments: must not have the property "wind"'],
    ["[1]", "arguments: Invalid input: expected record, received array"],
  ])("refuses %s, telling the model %j, without calling the tool", async (args, issue) => {
    const before = calls.length;
    const outcome = await run(args);
    expect(outcome).toMatchObject({ status: "error", reason: "invalid_arguments" });
    expect(outcome.status === "error" ? outcome.message : "").toContain(issue);
    expect(calls.length).toBe(before);
  });

  it("throws for a schema that does not compile", () => {
    expect(() => argumentsSchemaOf({ type: "object", properties: { a: { $ref: "#/$defs/missing" } } })).toThrow(/missing/);
  });
});
