import type { CatalogueItem } from "./inventory-catalogue.js";

/**
 * What a catalogue search found.
 */
export interface CatalogueSearchResult {
  /** `sku` when the query named SKUs that exist, `words` otherwise. */
  readonly matchedBy: "sku" | "words";
  /** The best matches, best first, at most the limit asked for. */
  readonly items: readonly CatalogueItem[];
  /** How many items matched in all, before the limit. */
  readonly totalMatches: number;
}

/** Words that say nothing about which product is meant. */
const stopWords: ReadonlySet<string> = new Set([
  "an", "and", "any", "are", "do", "does", "for", "have", "has", "in", "is", "of", "on", "or",
  "our", "sku", "the", "there", "to", "we", "what", "which", "with",
]);

/**
 * Searches `catalogue` for `query`.
 *
 * SKUs win: when a word of the query is a SKU in the catalogue ("sku-1001", "SKU1001"), exactly
 * those items are returned. Otherwise items are ranked by how many of the query's words appear in
 * their name or category (a word of three letters or more also matches the start of a longer one,
 * and a plural "s" is ignored), ties in catalogue order. Items matching no word are left out.
 */
export function searchCatalogue(
  catalogue: readonly CatalogueItem[],
  query: string,
  limit: number,
): CatalogueSearchResult {
  const queryWords = query.split(/[\s,;]+/).map(compactSku).filter((word) => word !== "");
  const bySku = catalogue.filter((item) => queryWords.includes(compactSku(item.sku)));
  if (bySku.length > 0) {
    return { matchedBy: "sku", items: bySku.slice(0, limit), totalMatches: bySku.length };
  }

  const wanted = [...new Set(words(query))].filter((word) => word.length >= 2 && !stopWords.has(word));
  const ranked = catalogue
    .map((item, position) => {
      const itemWords = words(`${item.name} ${item.category}`);
      const score = wanted.filter((word) => itemWords.some((candidate) => wordMatches(word, candidate))).length;
      return { item, score, position };
    })
    .filter((entry) => entry.score > 0)
    .sort((a, b) => b.score - a.score || a.position - b.position);
  return { matchedBy: "words", items: ranked.slice(0, limit).map((entry) => entry.item), totalMatches: ranked.length };
}

function compactSku(text: string): string {
  // "sku-1001", "SKU_1001" and "SKU1001" all mean the same SKU.
  return text.toUpperCase().replace(/[^A-Z0-9]/g, "");
}

function words(text: string): string[] {
  return text
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((word) => word !== "")
    .map(singular);
}

function singular(word: string): string {
  return word.length > 3 && word.endsWith("s") && !word.endsWith("ss") ? word.slice(0, -1) : word;
}

function wordMatches(wanted: string, candidate: string): boolean {
  return candidate === wanted || (wanted.length >= 3 && candidate.startsWith(wanted));
}
