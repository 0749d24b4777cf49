import { describe, expect, it } from "vitest";
import { createCalculatorTool, createToolRegistry, createToolRunner, type ToolCallOutcome } from "./index.js";

const runner = createToolRunner({ registry: createToolRegistry([createCalculatorTool()]) });

function calculate(args: unknown): Promise<ToolCallOutcome> {
  return runner.run({ id: "call_1", name: "calculator", arguments: JSON.stringify(args) }, new AbortController().signal);
}

describe("calculator", () => {
  describe.each([
    ["17 * 23", "391"],
    ["0.1 + 0.2", "0.3"],
    ["2 ^ 10 / 4", "256"],
    ["(1 + 2) * -3", "-9"],
    ["sqrt(2)", "1.41421356237"],
    ["round(19.999 * 3, 2)", "60"],
    ["1 / 3", "0.333333333333"],
    ["1e-9 * 3", "3e-9"],
  ])("given %s", (expression, expected) => {
    it(`answers ${expected}`, async () => {
      expect(await calculate({ expression })).toMatchObject({ status: "ok", result: expected });
    });
  });

  describe.each([
    ["1 / 0", "Error: calculator failed: division by zero at position 3. Fix the arguments"],
    ["2 +* 3", "Error: calculator failed: unexpected '*' at position 4; expected a number, a name or '('."],
    ["eval(1)", "unknown function 'eval' at position 1"],
  ])("given the bad expression %s", (expression, message) => {
    it("reports a failure that points at the problem", async () => {
      const outcome = await calculate({ expression });

      expect(outcome).toMatchObject({ status: "error", reason: "failed" });
      expect(outcome.status === "error" && outcome.message).toContain(message);
    });
  });

  describe.each([
    ["a missing expression", {}, "expression: Required"],
    ["an empty expression", { expression: "" }, "expression: Too small"],
    ["an expression over 200 characters", { expression: "1+".repeat(100) + "1" }, "expression: Too big"],
    ["a number instead of text", { expression: 17 }, "expression: Invalid input: expected string, received number"],
  ])("given %s", (_, args, summary) => {
    it("refuses the arguments before evaluating anything", async () => {
      const outcome = await calculate(args);

      expect(outcome).toMatchObject({ status: "error", reason: "invalid_arguments" });
      expect(outcome.status === "error" && outcome.message).toContain(`Error: invalid arguments for calculator: ${summary}`);
    });
  });
});
