/** Price of one model in US dollars per million tokens. */
export interface ModelPrice {
  readonly inputPerMillion: number;
  readonly outputPerMillion: number;
}

/** Token counts of one or more model calls. */
export interface TokenUsage {
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly totalTokens: number;
}

/**
 * Default prices: the simulator's models are priced like small and large
 * hosted models so that cost accounting is visible in development.
 */
export const defaultPrices: Readonly<Record<string, ModelPrice>> = Object.freeze({
  "sim-small": { inputPerMillion: 0.15, outputPerMillion: 0.6 },
  "sim-large": { inputPerMillion: 2.5, outputPerMillion: 10 },
  "gpt-4o-mini": { inputPerMillion: 0.15, outputPerMillion: 0.6 },
  "gpt-4o": { inputPerMillion: 2.5, outputPerMillion: 10 },
  "gpt-4.1-mini": { inputPerMillion: 0.4, outputPerMillion: 1.6 },
  "gpt-4.1": { inputPerMillion: 2, outputPerMillion: 8 },
});

/** Estimates what a call cost; models without a price cost 0. */
export interface PriceTable {
  costOf(model: string, usage: TokenUsage): number;
}

/** Creates a price table; `prices` override or extend {@link defaultPrices}. */
export function createPriceTable(prices: Readonly<Record<string, ModelPrice>> = {}): PriceTable {
  const table = new Map(Object.entries({ ...defaultPrices, ...prices }));
  return {
    costOf(model, usage) {
      const price = table.get(model);
      if (price === undefined) {
        return 0;
      }
      const cost = (usage.inputTokens * price.inputPerMillion + usage.outputTokens * price.outputPerMillion) / 1_000_000;
      // Whole picodollars: no float noise such as 7.170000000000001e-5 in responses.
      return Math.round(cost * 1e12) / 1e12;
    },
  };
}
