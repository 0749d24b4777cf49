import { describe, expect, it } from "vitest";
import {
  bundledCatalogue,
  createInventoryLookupTool,
  createToolRegistry,
  createToolRunner,
  type CatalogueItem,
  type ToolCallOutcome,
} from "./index.js";

function lookup(query: unknown, catalogue?: readonly CatalogueItem[]): Promise<ToolCallOutcome> {
  const runner = createToolRunner({ registry: createToolRegistry([createInventoryLookupTool({ catalogue })]) });
  return runner.run(
    { id: "call_1", name: "inventory_lookup", arguments: JSON.stringify({ query }) },
    new AbortController().signal,
  );
}

async function foundSkus(query: string): Promise<{ matchedBy: string; skus: string[]; totalMatches: number }> {
  const outcome = await lookup(query);
  if (outcome.status !== "ok") {
    throw new Error(`lookup failed: ${outcome.message}`);
  }
  const parsed = JSON.parse(outcome.result) as { matchedBy: string; totalMatches: number; items: CatalogueItem[] };
  return { matchedBy: parsed.matchedBy, skus: parsed.items.map((item) => item.sku), totalMatches: parsed.totalMatches };
}

describe("inventory_lookup", () => {
  it("returns the item with a SKU, with its price, stock and warehouse", async () => {
    const outcome = await lookup("SKU-1004");

    expect(outcome.status === "ok" && JSON.parse(outcome.result)).toEqual({
      matchedBy: "sku",
      totalMatches: 1,
      items: [
        {
          sku: "SKU-1004",
          name: "USB-C Docking Station",
          category: "Accessories",
          unitPrice: 189.5,
          currency: "USD",
          quantityInStock: 0,
          warehouse: "Reno, NV",
        },
      ],
    });
  });

  describe.each([
    ["a SKU in lower case", "sku-1001", "sku", ["SKU-1001"]],
    ["a SKU without its hyphen", "SKU1012", "sku", ["SKU-1012"]],
    ["a SKU inside a question", "how many SKU-1003 left?", "sku", ["SKU-1003"]],
    ["several SKUs", "SKU-1002, SKU-1005", "sku", ["SKU-1002", "SKU-1005"]],
    ["a product word", "monitor", "words", ["SKU-1003"]],
    ["a plural product word", "keyboards", "words", ["SKU-1002"]],
    ["the start of a word", "ergo", "words", ["SKU-1001"]],
    ["a category", "furniture", "words", ["SKU-1009", "SKU-1010"]],
    ["words ranked by how many match", "usb-c cable", "words", ["SKU-1008", "SKU-1004"]],
    ["a question with filler words", "do we have any webcams in stock?", "words", ["SKU-1006"]],
  ])("given %s", (_, query, matchedBy, skus) => {
    it(`finds ${skus.join(", ")}`, async () => {
      expect(await foundSkus(query)).toMatchObject({ matchedBy, skus });
    });
  });

  it("returns at most five matches and says how many there were", async () => {
    const catalogue = Array.from({ length: 8 }, (_, index): CatalogueItem => ({
      sku: `SKU-2${index}`,
      name: `Cable ${index}`,
      category: "Cables",
      unitPrice: 5,
      currency: "EUR",
      quantityInStock: 1,
      warehouse: "Utrecht",
    }));

    const outcome = await lookup("cable", catalogue);
    const parsed = outcome.status === "ok" ? (JSON.parse(outcome.result) as Record<string, unknown>) : {};

    expect(parsed["totalMatches"]).toBe(8);
    expect(parsed["items"]).toHaveLength(5);
    expect(parsed["note"]).toBe("Showing the best 5 of 8 matches; use more specific words to narrow them down.");
  });

  it.each(["banana", "SKU-9999"])("answers, rather than fails, when nothing matches %s", async (query) => {
    expect(await lookup(query)).toMatchObject({
      status: "ok",
      result: `No item matches "${query}". Try a SKU such as SKU-1001 (Ergonomic Wireless Mouse) or SKU-1002 (Mechanical Keyboard, Brown Switches), or words from a product name or category.`,
    });
  });

  it("says so when the catalogue is empty", async () => {
    expect(await lookup("mouse", [])).toMatchObject({ status: "ok", result: "No item matches: the catalogue is empty." });
  });

  it("refuses a blank query", async () => {
    expect(await lookup("   ")).toMatchObject({ status: "error", reason: "invalid_arguments" });
  });

  it("bundles a dozen items with unique SKUs", () => {
    expect(bundledCatalogue).toHaveLength(12);
    expect(new Set(bundledCatalogue.map((item) => item.sku)).size).toBe(12);
  });
});
