import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { z } from "zod";

/** What the test tools tell the test about the calls they serve. */
export interface TestToolHooks {
  /** A call of `forecast` arrived with valid arguments. */
  onForecast?(args: { city: string; days?: number | undefined }): void;
  /** A call of `slow` started: it answers only when canceled. */
  onSlowStarted?(): void;
  /** A call of `slow` was canceled by the client (its request signal aborted). */
  onSlowCanceled?(): void;
}

/**
 * Registers the tools every test MCP server offers:
 * - `forecast {city, days?}` answers with a made-up forecast, so a test can see the real result;
 * - `slow {}` never answers on its own and reports when the client cancels it.
 */
export function registerTestTools(server: McpServer, hooks: TestToolHooks = {}): void {
  server.registerTool(
    "forecast",
    {
      description: "The weather forecast for a city",
      inputSchema: {
        city: z.string().describe("The city"),
        days: z.number().int().min(1).max(7).optional().describe("Days ahead, 1 to 7"),
      },
    },
    (args) => {
      hooks.onForecast?.(args);
      const days = args.days ?? 1;
      return { content: [{ type: "text", text: `Forecast for ${args.city}: sunny, 21 °C, for ${days} day${days === 1 ? "" : "s"}` }] };
    },
  );
  server.registerTool("slow", { description: "Takes as long as it is given", inputSchema: {} }, (_args, extra) => {
    hooks.onSlowStarted?.();
    return new Promise((_resolve, reject) => {
      extra.signal.addEventListener(
        "abort",
        () => {
          hooks.onSlowCanceled?.();
          reject(new Error("canceled"));
        },
        { once: true },
      );
    });
  });
}
