import { z } from "zod";
import { defineTool, type AgentTool } from "./agent-tool.js";
import { bundledCatalogue, type CatalogueItem } from "./inventory-catalogue.js";
import { searchCatalogue } from "./inventory-search.js";

/**
 * Options for {@link createInventoryLookupTool}.
 */
export interface InventoryLookupToolOptions {
  /**
   * The items to search.
   * @defaultValue {@link bundledCatalogue}
   */
  readonly catalogue?: readonly CatalogueItem[];
}

/** Enough matches to choose from; more would crowd the model's context for little gain. */
const maxMatches = 5;

const inventoryLookupSchema = z.object({
  query: z
    .string()
    .trim()
    .min(1)
    .max(100)
    .describe('A SKU such as "SKU-1001", or words from a product name or category such as "wireless mouse"'),
});

/**
 * Creates the `inventory_lookup` tool: finds catalogue items by SKU or by words of their name or
 * category, and returns up to five as JSON (price, currency, quantity in stock, warehouse). Finding
 * nothing is an answer, not an error: the tool says so and suggests SKUs to try.
 */
export function createInventoryLookupTool(
  options: InventoryLookupToolOptions = {},
): AgentTool<z.infer<typeof inventoryLookupSchema>> {
  const catalogue = options.catalogue ?? bundledCatalogue;
  return defineTool({
    name: "inventory_lookup",
    description:
      "Looks up products in the inventory catalogue by SKU or by product words, and returns matching items " +
      "with unit price, currency, quantity in stock and warehouse. Use it for any question about products, " +
      "prices or stock levels.",
    schema: inventoryLookupSchema,
    async invoke({ query }) {
      const found = searchCatalogue(catalogue, query, maxMatches);
      if (found.totalMatches === 0) {
        return noMatchText(query, catalogue);
      }
      return JSON.stringify({
        matchedBy: found.matchedBy,
        totalMatches: found.totalMatches,
        ...(found.totalMatches > found.items.length
          ? { note: `Showing the best ${found.items.length} of ${found.totalMatches} matches; use more specific words to narrow them down.` }
          : {}),
        items: found.items,
      });
    },
  });
}

function noMatchText(query: string, catalogue: readonly CatalogueItem[]): string {
  if (catalogue.length === 0) {
    return "No item matches: the catalogue is empty.";
  }
  const examples = catalogue.slice(0, 2).map((item) => `${item.sku} (${item.name})`);
  return (
    `No item matches ${JSON.stringify(query)}. Try a SKU such as ${examples.join(" or ")}, ` +
    "or words from a product name or category."
  );
}
