import { createBuiltinTools, createToolRegistry } from "../../server/agent/tools/index.js";
import { defaultPromptContent } from "../../server/prompts/prompt-version.js";

/**
 * The chat completion the service sends for a one-turn run of `input` (system prompt, the
 * built-in tools offered, streaming with usage, temperature 0), so the baseline asks the
 * simulator exactly what the service asks it.
 */
export function modelRequest(input: string, model = "sim-small") {
  const tools = createToolRegistry(createBuiltinTools()).definitions();
  return {
    model,
    temperature: 0,
    stream: true as const,
    stream_options: { include_usage: true },
    messages: [
      { role: "system" as const, content: defaultPromptContent.messages[0]?.template ?? "" },
      { role: "user" as const, content: input },
    ],
    tools: tools.map((tool) => ({ type: "function" as const, function: { ...tool.function } })),
  };
}

/** A prompt whose one-turn answer is `chunks` streamed text chunks (the simulator's `#words`). */
export function promptWithChunks(chunks: number): string {
  return `#words ${chunks} Say hello to the benchmark.`;
}
