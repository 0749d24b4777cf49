/** The part of a `ServerResponse` the writer uses. */
export interface PacedResponse {
  readonly destroyed: boolean;
  /** Returns false when the response's buffer is full: the writer then waits for `drain`. */
  write(chunk: string, callback?: () => void): boolean;
  end(chunk: string): unknown;
  destroy(): unknown;
  once(event: "drain", listener: () => void): unknown;
  off(event: "drain", listener: () => void): unknown;
}

/** How a response body goes out over time. */
export interface PacedWrite {
  /** Pieces of the body, in order. */
  readonly frames: readonly string[];
  /** Wait before the first piece, in milliseconds; 0 writes it at once. */
  readonly firstDelayMs: number;
  /** Wait between pieces, in milliseconds; 0 writes everything as fast as the client reads. */
  readonly gapMs: number;
  /** `end` finishes the response; `destroy` drops the connection after the last piece is flushed. */
  readonly ending: "end" | "destroy";
  /** Called with the bytes of each piece handed to the response. Default none. */
  readonly onWritten?: ((bytes: number) => void) | undefined;
}

/** A paced write in progress. */
export interface PacedWriter {
  /** Stops any pending write; call it when the connection closes. */
  cancel(): void;
  /** True once the writer dropped the connection on purpose (`ending: "destroy"`). */
  readonly droppedConnection: boolean;
}

/**
 * Bytes joined into one write when there is no gap: few enough writes for the
 * benchmarks' cheap path (a short answer still goes out in one), small enough
 * that a client that stops reading holds the rest back.
 */
const maxBatchBytes = 64 * 1024;

/**
 * Writes a response body piece by piece with the given delays, and never
 * faster than the client reads: when `write` reports a full buffer it waits
 * for `drain`, as a real provider's server does, so a stalled client holds
 * the rest of the body back instead of the simulator buffering all of it.
 */
export function writePaced(res: PacedResponse, { frames, firstDelayMs, gapMs, ending, onWritten }: PacedWrite): PacedWriter {
  let timer: NodeJS.Timeout | undefined;
  let next = 0;
  let droppedConnection = false;
  let cancelled = false;

  const resume = () => step();
  const takeBatch = (): string => {
    if (gapMs > 0) {
      return frames[next++] ?? "";
    }
    let payload = "";
    do {
      payload += frames[next++] ?? "";
    } while (next < frames.length && payload.length < maxBatchBytes);
    return payload;
  };

  const step = (): void => {
    timer = undefined;
    if (cancelled || res.destroyed) return;
    for (;;) {
      const payload = takeBatch();
      onWritten?.(Buffer.byteLength(payload));
      if (next >= frames.length) {
        if (ending === "end") {
          res.end(payload);
        } else {
          droppedConnection = true;
          // Destroying before the flush would lose the partial body the client is meant to see.
          res.write(payload, () => res.destroy());
        }
        return;
      }
      if (!res.write(payload)) {
        res.once("drain", resume);
        return;
      }
      if (gapMs > 0) {
        timer = setTimeout(step, gapMs);
        return;
      }
    }
  };

  if (firstDelayMs > 0) timer = setTimeout(step, firstDelayMs);
  else step();

  return {
    cancel() {
      cancelled = true;
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      res.off("drain", resume);
    },
    get droppedConnection() {
      return droppedConnection;
    },
  };
}
