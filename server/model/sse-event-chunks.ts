/** The `fetch` signature the OpenAI SDK takes. */
export type Fetch = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

const newline = 0x0a;

/**
 * Wraps `fetch` so that a server-sent-events body reaches the reader one
 * event per chunk. The bytes are the same; only where reads end changes.
 *
 * Why: the OpenAI SDK's SSE reader (`iterSSEChunks`) appends each network
 * read to its buffer and, after every event it finds, copies the rest of the
 * buffer. A read that holds `k` events costs `k` copies of up to the whole
 * read: quadratic in the events per read. Reads hold many events exactly
 * when the provider is fast or the service is behind (TCP has buffered the
 * answer), so the parsing cost grew with load. Cut at event boundaries
 * (`\n\n`), each read holds one event and the SDK's work is linear. Bodies
 * framed with `\r\n\r\n` pass through uncut, as before.
 */
export function createSseEventChunkingFetch(inner: Fetch): Fetch {
  return async (input, init) => {
    const response = await inner(input, init);
    const type = response.headers.get("content-type") ?? "";
    if (response.body === null || !type.includes("text/event-stream")) {
      return response;
    }
    return new Response(splitAtEvents(response.body), {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    });
  };
}

/** Re-chunks a byte stream so that every chunk but the last of a read ends with `\n\n`. */
function splitAtEvents(body: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const { done, value } = await reader.read();
      if (done) {
        controller.close();
        return;
      }
      let start = 0;
      for (let index = value.indexOf(newline); index !== -1 && index + 1 < value.length; index = value.indexOf(newline, index + 1)) {
        if (value[index + 1] === newline) {
          // Views, not copies: the SDK copies each chunk into its buffer anyway.
          controller.enqueue(value.subarray(start, index + 2));
          start = index + 2;
          index += 1;
        }
      }
      if (start < value.length) {
        controller.enqueue(start === 0 ? value : value.subarray(start));
      }
    },
    async cancel(reason) {
      await reader.cancel(reason);
    },
  });
}
