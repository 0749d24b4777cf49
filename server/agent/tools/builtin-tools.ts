import type { AgentTool } from "./agent-tool.js";
import { createCalculatorTool } from "./calculator-tool.js";
import { createCurrentTimeTool } from "./current-time-tool.js";
import type { CatalogueItem } from "./inventory-catalogue.js";
import { createInventoryLookupTool } from "./inventory-lookup-tool.js";

/**
 * Options for {@link createBuiltinTools}.
 */
export interface BuiltinToolsOptions {
  /**
   * Where `current_time` gets the current time.
   * @defaultValue `() => new Date()`
   */
  readonly now?: () => Date;
  /**
   * The items `inventory_lookup` searches.
   * @defaultValue `bundledCatalogue`
   */
  readonly catalogue?: readonly CatalogueItem[];
}

/**
 * Creates the tools every agent gets: `calculator`, `current_time` and `inventory_lookup`, in
 * that order, ready for `createToolRegistry`.
 */
export function createBuiltinTools(options: BuiltinToolsOptions = {}): AgentTool[] {
  // Defaults live in each tool's factory, so an option left out here means the same as there.
  return [
    createCalculatorTool(),
    createCurrentTimeTool({ now: options.now }),
    createInventoryLookupTool({ catalogue: options.catalogue }),
  ];
}
