import type { IncomingMessage } from "node:http";

/** The outcome of reading a request body. */
export type RequestBody =
  | { readonly ok: true; readonly text: string }
  | { readonly ok: false; readonly reason: "too-large" | "aborted" };

/** Reads a whole request body as UTF-8, giving up past `maxBytes`. */
export function readRequestBody(req: IncomingMessage, maxBytes: number): Promise<RequestBody> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > maxBytes) {
        req.off("data", onData);
        // Keep draining so the connection can still carry the 413 response.
        req.resume();
        resolve({ ok: false, reason: "too-large" });
        return;
      }
      chunks.push(chunk);
    };
    req.on("data", onData);
    req.once("end", () => resolve({ ok: true, text: Buffer.concat(chunks, size).toString("utf8") }));
    // After "end" this is a no-op: a promise settles once.
    req.once("close", () => resolve({ ok: false, reason: "aborted" }));
    req.once("error", () => resolve({ ok: false, reason: "aborted" }));
  });
}
