import { describe, expect, it } from "vitest";
import { createSseEventChunkingFetch, type Fetch } from "./sse-event-chunks.js";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A fetch answering with `reads` as the body's network reads, under `contentType`. */
function fetchAnswering(reads: string[], contentType: string): Fetch {
  return async () =>
    new Response(
      new ReadableStream<Uint8Array>({
        start(controller) {
          reads.forEach((read) => controller.enqueue(encoder.encode(read)));
          controller.close();
        },
      }),
      { headers: { "content-type": contentType } },
    );
}

async function readsOf(response: Response): Promise<string[]> {
  const reads: string[] = [];
  for await (const chunk of response.body ?? []) {
    reads.push(decoder.decode(chunk));
  }
  return reads;
}

describe("createSseEventChunkingFetch", () => {
  it("hands an event stream over one event per read, bytes unchanged", async () => {
    const reads = ['data: {"a":1}\n\ndata: {"b":2}\n\ndata: {"c', '":3}\n\ndata: [DONE]\n\n'];
    const response = await createSseEventChunkingFetch(fetchAnswering(reads, "text/event-stream; charset=utf-8"))("http://x/");
    const out = await readsOf(response);
    expect(out).toEqual(['data: {"a":1}\n\n', 'data: {"b":2}\n\n', 'data: {"c', '":3}\n\n', "data: [DONE]\n\n"]);
    expect(out.join("")).toBe(reads.join(""));
  });

  it("leaves other bodies as they came", async () => {
    const reads = ['{"a":\n\n1}'];
    const response = await createSseEventChunkingFetch(fetchAnswering(reads, "application/json"))("http://x/");
    expect(await readsOf(response)).toEqual(reads);
  });
});
