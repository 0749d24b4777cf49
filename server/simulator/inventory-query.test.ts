import { describe, expect, it } from "vitest";
import { asksForInventory, findInventoryQuery } from "./inventory-query.js";

describe("findInventoryQuery", () => {
  describe.each([
    ["Is SKU-1001 in stock?", "SKU-1001", "a SKU token"],
    ["is sku-42 in stock?", "SKU-42", "a SKU token, upper-cased"],
    ['How many "Blue Widget" do we have in stock?', "Blue Widget", "a double-quoted name"],
    ["What's the stock of 'Gadget Pro'?", "Gadget Pro", "a single-quoted name, not the apostrophe"],
    ["How many blue widgets are in stock?", "blue widgets", "the product words"],
    ["Is the USB-C cable in stock?", "USB-C cable", "product words with a dash"],
    ["Check inventory", "Check inventory", "the whole question when no product word is left"],
  ])("for %j", (text, query, reason) => {
    it(`is ${JSON.stringify(query)} (${reason})`, () => {
      expect(findInventoryQuery(text)).toBe(query);
    });
  });
});

describe("asksForInventory", () => {
  it.each([
    ["Is it in stock?", true],
    ["Check the inventory", true],
    ["What about SKU-1?", true],
    ["Stockholm is nice", false],
  ])("%j → %s", (text, expected) => {
    expect(asksForInventory(text)).toBe(expected);
  });
});
