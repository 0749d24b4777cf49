import { describe, expect, it } from "vitest";
import { createAsyncQueue } from "./async-queue.js";

describe("createAsyncQueue", () => {
  it("reports full at its capacity and drains once the consumer takes an item", async () => {
    const queue = createAsyncQueue<number>({ capacity: 2 });
    expect(queue.push(1)).toBe(true);
    expect(queue.push(2)).toBe(false);
    let drained = false;
    const waiting = queue.drained().then(() => (drained = true));
    await Promise.resolve();
    expect(drained).toBe(false);
    const items = queue[Symbol.asyncIterator]();
    await expect(items.next()).resolves.toEqual({ done: false, value: 1 });
    await waiting;
    expect(drained).toBe(true);
  });

  it("releases a waiting producer when the consumer returns early, and drops what it pushes after", async () => {
    const queue = createAsyncQueue<number>({ capacity: 1 });
    const items = queue[Symbol.asyncIterator]();
    expect(queue.push(1)).toBe(false);
    const waiting = queue.drained();
    await items.return?.();
    await expect(waiting).resolves.toBeUndefined();
    expect(queue.push(2)).toBe(true);
    await expect(items.next()).resolves.toEqual({ done: true, value: undefined });
  });

  it("rejects a waiting producer with the signal's reason when it aborts", async () => {
    const queue = createAsyncQueue<number>({ capacity: 1 });
    queue.push(1);
    const attempt = new AbortController();
    const waiting = queue.drained(attempt.signal);
    attempt.abort(new Error("attempt timed out"));
    await expect(waiting).rejects.toThrow("attempt timed out");
  });

  it("ends after the queued items, or throws the close error", async () => {
    const queue = createAsyncQueue<string>();
    queue.push("a");
    queue.close(new Error("provider failed"));
    const seen: string[] = [];
    await expect(
      (async () => {
        for await (const item of queue) {
          seen.push(item);
        }
      })(),
    ).rejects.toThrow("provider failed");
    expect(seen).toEqual(["a"]);
  });

  it("with coalesce, hands over what queued up while the consumer was away as one item, and single items as they are", async () => {
    const queue = createAsyncQueue<string>({ capacity: 4, coalesce: (texts) => texts.join("") });
    const items = queue[Symbol.asyncIterator]();
    queue.push("a");
    await expect(items.next()).resolves.toEqual({ done: false, value: "a" });
    queue.push("b");
    queue.push("c");
    expect(queue.push("d")).toBe(true);
    expect(queue.push("e")).toBe(false);
    const drained = queue.drained();
    await expect(items.next()).resolves.toEqual({ done: false, value: "bcde" });
    await drained;
    queue.push("f");
    queue.close();
    await expect(items.next()).resolves.toEqual({ done: false, value: "f" });
    await expect(items.next()).resolves.toEqual({ done: true, value: undefined });
  });
});
