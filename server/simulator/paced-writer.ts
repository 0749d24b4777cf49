/** The part of a `ServerResponse` the writer uses. */
export interface PacedResponse {
  readonly destroyed: boolean;
  write(chunk: string, callback?: () => void): unknown;
  end(chunk: string): unknown;
  destroy(): unknown;
}

/** How a response body goes out over time. */
export interface PacedWrite {
  /** Pieces of the body, in order. */
  readonly frames: readonly string[];
  /** Wait before the first piece, in milliseconds; 0 writes it at once. */
  readonly firstDelayMs: number;
  /** Wait between pieces, in milliseconds; 0 writes everything in one go. */
  readonly gapMs: number;
  /** `end` finishes the response; `destroy` drops the connection after the last piece is flushed. */
  readonly ending: "end" | "destroy";
}

/** A paced write in progress. */
export interface PacedWriter {
  /** Stops any pending write; call it when the connection closes. */
  cancel(): void;
  /** True once the writer dropped the connection on purpose (`ending: "destroy"`). */
  readonly droppedConnection: boolean;
}

/** Writes a response body piece by piece with the given delays. */
export function writePaced(res: PacedResponse, { frames, firstDelayMs, gapMs, ending }: PacedWrite): PacedWriter {
  let timer: NodeJS.Timeout | undefined;
  let next = 0;
  let droppedConnection = false;

  const step = (): void => {
    timer = undefined;
    if (res.destroyed) return;
    // Without a gap, everything left goes out in one write: the cheap path benchmarks take.
    const end = gapMs > 0 ? next + 1 : frames.length;
    const payload = frames.slice(next, end).join("");
    next = end;
    if (next < frames.length) {
      res.write(payload);
      timer = setTimeout(step, gapMs);
    } else if (ending === "end") {
      res.end(payload);
    } else {
      droppedConnection = true;
      // Destroying before the flush would lose the partial body the client is meant to see.
      res.write(payload, () => res.destroy());
    }
  };

  if (firstDelayMs > 0) timer = setTimeout(step, firstDelayMs);
  else step();

  return {
    cancel() {
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
    },
    get droppedConnection() {
      return droppedConnection;
    },
  };
}
