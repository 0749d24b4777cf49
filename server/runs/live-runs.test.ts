import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { StreamResponseSchema, type StreamResponse } from "../../gen/agent/v1/agent_service_pb.js";
import { createLiveRuns } from "./live-runs.js";

const delta = (seq: number): StreamResponse => create(StreamResponseSchema, { seq, event: { case: "textDelta", value: { iteration: 1, text: `t${seq}` } } });

async function collect(events: AsyncIterable<StreamResponse> | undefined): Promise<number[]> {
  if (events === undefined) {
    throw new Error("the run is not live");
  }
  const seqs: number[] = [];
  for await (const event of events) {
    seqs.push(event.seq);
  }
  return seqs;
}

describe("live runs", () => {
  it("gives a watcher the events after its seq, then the ones still to come, then the end", async () => {
    const live = createLiveRuns();
    const run = live.begin("r1", "alice", () => undefined);
    run.push(delta(1));
    run.push(delta(2));
    const following = collect(live.get("r1")?.follow(1, new AbortController().signal) );
    run.push(delta(3));
    await Promise.resolve();
    run.push(delta(4));
    run.end();
    expect(await following).toEqual([2, 3, 4]);
    expect(live.get("r1")).toBeUndefined();
    expect(live.size()).toBe(0);
  });

  it("ends every watcher with the run's error, and ignores what comes after the end", async () => {
    const live = createLiveRuns();
    const run = live.begin("r1", "alice", () => undefined);
    const watchers = [0, 0].map(() => {
      const watcher = live.get("r1")?.follow(0, AbortSignal.timeout(5_000));
      if (watcher === undefined) {
        throw new Error("the run is not live");
      }
      return watcher;
    });
    run.push(delta(1));
    const failed = new ConnectError("the models are down", Code.Unavailable);
    run.end(failed);
    run.push(delta(2));
    run.end();
    for (const watcher of watchers) {
      const seen: number[] = [];
      await expect(
        (async () => {
          for await (const event of watcher ) {
            seen.push(event.seq);
          }
        })(),
      ).rejects.toBe(failed);
      expect(seen).toEqual([1]);
    }
  });

  it("stops a watcher at its signal's abort without touching the run", async () => {
    const live = createLiveRuns();
    const run = live.begin("r1", "alice", () => undefined);
    const controller = new AbortController();
    const following = collect(live.get("r1")?.follow(0, controller.signal) );
    controller.abort(new ConnectError("the watcher went away", Code.Canceled));
    await expect(following).rejects.toThrow("the watcher went away");
    // The run goes on, and another watcher sees all of it.
    const later = collect(live.get("r1")?.follow(0, AbortSignal.timeout(5_000)) );
    run.push(delta(1));
    run.end();
    expect(await later).toEqual([1]);
  });

  it("cancels a run it holds, once, and reports those it does not", () => {
    const live = createLiveRuns();
    const reasons: ConnectError[] = [];
    const run = live.begin("r1", "alice", (reason) => reasons.push(reason));
    const reason = new ConnectError("canceled", Code.Canceled);
    expect(live.cancel("r1", reason)).toBe(true);
    expect(live.cancel("elsewhere", reason)).toBe(false);
    run.end(reason);
    expect(live.cancel("r1", reason)).toBe(false);
    expect(reasons).toEqual([reason]);
  });
});
