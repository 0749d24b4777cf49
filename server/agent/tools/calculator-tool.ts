import { z } from "zod";
import { defineTool, type AgentTool } from "./agent-tool.js";
import { defaultMaxExpressionLength, evaluateExpression } from "./expression-parser.js";
import { formatNumber } from "./format-number.js";

const calculatorSchema = z.object({
  expression: z
    .string()
    .min(1)
    .max(defaultMaxExpressionLength)
    .describe('An arithmetic expression, e.g. "(17 * 23) / 4" or "sqrt(2) * max(3, 4)"'),
});

/**
 * Creates the `calculator` tool: evaluates an arithmetic expression and returns the number as
 * text ("17 * 23" gives "391"). A bad expression fails with a message giving the position.
 */
export function createCalculatorTool(): AgentTool<z.infer<typeof calculatorSchema>> {
  return defineTool({
    name: "calculator",
    description:
      "Evaluates an arithmetic expression and returns the result. Use it for any arithmetic rather than " +
      "calculating yourself. Supports numbers (1.5, 2e-3), + - * / % ^ (power), parentheses, the " +
      "constants pi and e, and sqrt, cbrt, abs, round(x, decimals), floor, ceil, trunc, min, max, " +
      "log (base 10, or log(x, base)), ln, exp, and sin, cos, tan, asin, acos, atan in radians.",
    schema: calculatorSchema,
    async invoke({ expression }) {
      return formatNumber(evaluateExpression(expression));
    },
  });
}
