import type { CorpusCase } from "./corpus-case.js";
import { devCases } from "./injection-corpus-dev.js";
import { holdoutCases } from "./injection-corpus-holdout.js";

export type { CorpusCase } from "./corpus-case.js";

/**
 * The labelled prompt-injection corpus: attacks and benign texts, direct
 * (caller input) and indirect (tool results), in several languages. The
 * holdout split was written before the rules and is not used to tune them;
 * see `injection-corpus-holdout.ts`.
 */
export const injectionCorpus: readonly CorpusCase[] = [...devCases, ...holdoutCases];
