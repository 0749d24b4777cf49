/**
 * Works out what to look up when a question is about stock, for the simulated model's
 * `inventory_lookup` calls.
 */

const skuPattern = /\bSKU-\d+\b/i;
// Single quotes only count at word edges, so the apostrophes in "What's in Bob's" don't.
const quotedPattern = /"([^"]+)"|“([^”]+)”|(?<!\p{L})'([^']+)'(?!\p{L})/u;

// Words that frame a stock question rather than name a product.
const framingWords = new Set(
  (
    "a an and any are available be can check could currently do does for have how i in inventory " +
    "is it left many me much of on our please show sku skus stock stocked tell the there units " +
    "we what what's whats you your hand level levels about with"
  ).split(" "),
);

/** The most product words kept in a query, so a rambling question stays a short lookup. */
const maxProductWords = 5;

/** Whether the text asks about stock, inventory or a SKU. */
export function asksForInventory(text: string): boolean {
  return /\b(?:stock|inventory|sku)\b/i.test(text);
}

/**
 * The lookup query for a stock question, by precedence:
 * 1. the first `SKU-<digits>` token, upper-cased (`"is sku-1001 in stock?"` → `"SKU-1001"`);
 * 2. the first quoted string (`'How many "Blue Widget" left?'` → `"Blue Widget"`);
 * 3. the remaining product words once framing words ("how many", "in stock", …), numbers and
 *    punctuation are dropped, at most five (`"How many blue widgets are in stock?"` →
 *    `"blue widgets"`);
 * 4. the whole question, trimmed, when nothing else is left.
 */
export function findInventoryQuery(text: string): string {
  const sku = skuPattern.exec(text);
  if (sku) return sku[0].toUpperCase();
  const quoted = quotedPattern.exec(text);
  const quotedText = quoted?.[1] ?? quoted?.[2] ?? quoted?.[3];
  if (quotedText !== undefined && quotedText.trim() !== "") return quotedText.trim();
  const productWords = (text.match(/[\p{L}][\p{L}\p{N}'-]*/gu) ?? [])
    .filter((word) => !framingWords.has(word.toLowerCase()))
    .slice(0, maxProductWords);
  if (productWords.length > 0) return productWords.join(" ");
  return text.trim();
}
