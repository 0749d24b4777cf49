import { findArithmeticExpression } from "./arithmetic-expression.js";
import { findInventoryQuery, asksForInventory } from "./inventory-query.js";
import { asksForTime, fallbackTimeZone, findTimeZone } from "./time-zone.js";

/** Arguments the simulated model passes to a tool; serialised to JSON on the wire. */
export type ToolArguments = Readonly<Record<string, unknown>>;

/** A tool the simulated model knows how to use, and how it recognises a need for it. */
export interface ToolIntent {
  /** The function name the tool is offered under. */
  readonly name: string;
  /** The arguments for this tool if `text` asks for it, else `undefined`. */
  detect(text: string): ToolArguments | undefined;
  /** Valid arguments to use when the question gives none (e.g. for `#loop`). */
  readonly defaultArguments: ToolArguments;
}

/**
 * The tools the simulated model knows, in the order it calls them when a question needs several.
 */
export const toolIntents: readonly ToolIntent[] = [
  {
    name: "calculator",
    detect(text) {
      const expression = findArithmeticExpression(text);
      return expression === undefined ? undefined : { expression };
    },
    defaultArguments: { expression: "1 + 1" },
  },
  {
    name: "current_time",
    detect(text) {
      return asksForTime(text) ? { timezone: findTimeZone(text) } : undefined;
    },
    defaultArguments: { timezone: fallbackTimeZone },
  },
  {
    name: "inventory_lookup",
    detect(text) {
      return asksForInventory(text) ? { query: findInventoryQuery(text) } : undefined;
    },
    defaultArguments: { query: "SKU-1001" },
  },
];

const intentsByName = new Map(toolIntents.map((intent) => [intent.name, intent]));

/** The known tool with this function name, if any. */
export function findToolIntent(name: string): ToolIntent | undefined {
  return intentsByName.get(name);
}
