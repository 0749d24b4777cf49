import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { writePaced, type PacedResponse } from "./paced-writer.js";

function fakeResponse() {
  const log: string[] = [];
  let destroyed = false;
  const response: PacedResponse & { log: string[] } = {
    log,
    get destroyed() {
      return destroyed;
    },
    write(chunk, callback) {
      log.push(`write:${chunk}`);
      callback?.();
      return true;
    },
    end(chunk) {
      log.push(`end:${chunk}`);
    },
    destroy() {
      log.push("destroy");
      destroyed = true;
    },
    once: () => response,
    off: () => response,
  };
  return response;
}

describe("writePaced", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("writes everything in one go without delays", () => {
    const res = fakeResponse();
    writePaced(res, { frames: ["a", "b", "c"], firstDelayMs: 0, gapMs: 0, ending: "end" });
    expect(res.log).toEqual(["end:abc"]);
  });

  it("waits before the first piece and between pieces", () => {
    const res = fakeResponse();
    writePaced(res, { frames: ["a", "b"], firstDelayMs: 100, gapMs: 10, ending: "end" });
    expect(res.log).toEqual([]);
    vi.advanceTimersByTime(100);
    expect(res.log).toEqual(["write:a"]);
    vi.advanceTimersByTime(10);
    expect(res.log).toEqual(["write:a", "end:b"]);
  });

  it("drops the connection after the last piece when asked to", () => {
    const res = fakeResponse();
    const writer = writePaced(res, { frames: ["a", "b"], firstDelayMs: 0, gapMs: 0, ending: "destroy" });
    expect(res.log).toEqual(["write:ab", "destroy"]);
    expect(writer.droppedConnection).toBe(true);
  });

  it("waits for drain when the client's buffer is full, then goes on", () => {
    const res = fakeResponse();
    let full = true;
    let drain: (() => void) | undefined;
    const written: number[] = [];
    const frames = Array.from({ length: 40 }, (_, i) => `${String(i).padStart(2, "0")}${"x".repeat(4094)}`);
    writePaced(
      {
        ...res,
        destroyed: false,
        write: (chunk) => {
          res.log.push(`write:${chunk.length}`);
          return !full;
        },
        end: (chunk) => res.log.push(`end:${chunk.length}`),
        once: (_event, listener) => (drain = listener),
        off: () => undefined,
      },
      { frames, firstDelayMs: 0, gapMs: 0, ending: "end", onWritten: (bytes) => written.push(bytes) },
    );
    // One 64 KiB batch, then nothing until the client drains.
    expect(res.log).toEqual(["write:65536"]);
    full = false;
    drain?.();
    expect(res.log).toEqual(["write:65536", "write:65536", "end:32768"]);
    expect(written.reduce((a, b) => a + b, 0)).toBe(40 * 4096);
  });

  it("clears its pending timer when cancelled", () => {
    const res = fakeResponse();
    const writer = writePaced(res, { frames: ["a", "b"], firstDelayMs: 1000, gapMs: 10, ending: "end" });
    expect(vi.getTimerCount()).toBe(1);
    writer.cancel();
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(2000);
    expect(res.log).toEqual([]);
  });
});
