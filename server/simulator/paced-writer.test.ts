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
