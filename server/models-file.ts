import { readFileSync } from "node:fs";
import { z } from "zod";

const positiveMs = z.number().int().min(1).max(3_600_000);

/** One model entry of the models file; unset knobs fall back to the environment's. */
const modelEntrySchema = z.strictObject({
  name: z.string().trim().min(1),
  baseUrl: z.url({ protocol: /^https?$/, error: "must be an http(s) URL such as https://api.openai.com/v1" }).optional(),
  apiKey: z.string().min(1).optional(),
  apiKeyEnv: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "must be an environment variable name").optional(),
  temperature: z.number().min(0).max(2).optional(),
  cacheAnyTemperature: z.boolean().optional(),
  // The model takes OpenAI's `response_format` with a JSON Schema; default false (true for the built-in simulator's, see config.ts).
  structuredOutput: z.boolean().optional(),
  attemptTimeoutMs: positiveMs.optional(),
  totalTimeoutMs: positiveMs.optional(),
  maxRetries: z.number().int().min(0).max(10).optional(),
  initialBackoffMs: positiveMs.optional(),
  maxBackoffMs: positiveMs.optional(),
  retryAfterCapMs: z.number().int().min(0).max(3_600_000).optional(),
  breakerThreshold: z.number().int().min(1).max(1_000).optional(),
  breakerHalfOpenAfterMs: positiveMs.optional(),
  breakerErrorRate: z.number().gt(0).lt(1).optional(),
  breakerSamplingMs: z.number().int().min(1_000).max(3_600_000).optional(),
  breakerMinimumRps: z.number().gt(0).optional(),
  price: z
    .strictObject({ inputPerMillion: z.number().min(0), outputPerMillion: z.number().min(0) })
    .optional(),
});

/** The models file: the fallback chain, primary first, with per-model settings. */
export const modelsFileSchema = z.strictObject({
  models: z
    .array(modelEntrySchema)
    .min(1, "must list at least one model")
    .refine((ms) => new Set(ms.map((m) => m.name)).size === ms.length, "must not name a model twice"),
});

/** One entry of the models file. */
export type ModelsFileEntry = z.infer<typeof modelEntrySchema>;

/**
 * Reads and validates the models file. Throws an Error whose message says
 * which entry and field is wrong; the caller names the variable.
 */
export function readModelsFile(path: string): ModelsFileEntry[] {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new Error(`cannot read ${path}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new Error(`${path} is not valid JSON: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  const parsed = modelsFileSchema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join(".") || "(file)"}: ${issue.message}`);
    throw new Error(`${path}: ${problems.join("; ")}`);
  }
  return parsed.data.models;
}
