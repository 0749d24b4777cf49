import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { emptyAuditHead, linkAuditEntries, verifyAuditLog, type AuditEntry, type AuditRow, type AuditStore, type KeyedAuditEntry } from "../store/index.js";
import { createAuditWriter } from "./audit-writer.js";

/**
 * A chain in memory that appends as the SQL store does (entry ids already
 * stored are skipped). `down` refuses appends; `loseAnswers` stores them and
 * then fails, as a connection lost before the commit's answer does.
 */
function memoryAuditStore() {
  const rows: AuditRow[] = [];
  let head = emptyAuditHead;
  const state = { down: false, loseAnswers: false, appends: 0, failures: 0 };
  const failed = new Set<() => void>();
  const store: Pick<AuditStore, "appendAudit" | "auditHead" | "readAuditChain"> = {
    async appendAudit(entries: readonly KeyedAuditEntry[]) {
      await Promise.resolve();
      if (state.down) {
        state.failures += 1;
        failed.forEach((listener) => listener());
        throw Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED" });
      }
      const stored = new Set(rows.map((row) => row.entryId));
      const linked = linkAuditEntries(head, entries.filter((entry) => !stored.has(entry.entryId)));
      rows.push(...linked.rows);
      head = linked.head;
      state.appends += 1;
      if (state.loseAnswers) {
        state.failures += 1;
        failed.forEach((listener) => listener());
        throw new Error("Connection terminated unexpectedly");
      }
      return head;
    },
    auditHead: () => Promise.resolve(head),
    readAuditChain: (afterSeq, throughSeq, limit) => Promise.resolve(rows.filter((row) => row.seq > afterSeq && row.seq <= throughSeq).slice(0, limit)),
  };
  /** Resolves once `count` more appends have failed. */
  const failures = (count: number) =>
    new Promise<void>((resolve) => {
      let seen = 0;
      const listener = () => {
        seen += 1;
        if (seen >= count) {
          failed.delete(listener);
          resolve();
        }
      };
      failed.add(listener);
    });
  const principals = () => rows.map((row) => row.principal);
  return { store, state, rows, principals, failures };
}

const logger = pino({ level: "silent" });

function entry(principal: string): AuditEntry {
  return { action: "model_call", principal, runId: "run-1", traceId: "t", at: new Date(0), detail: { model: "sim-small" } };
}

describe("createAuditWriter", () => {
  it("appends in the order entries were queued, in batches, into one valid chain", async () => {
    const { store, state, principals } = memoryAuditStore();
    const writes: number[] = [];
    const writer = createAuditWriter({ store, logger, maxBatch: 3, flushDelayMs: 1, observer: { onWrite: ({ entries }) => writes.push(entries) } });
    const names = ["a", "b", "c", "d", "e", "f", "g"];
    names.forEach((name) => writer.append(entry(name)));
    await writer.flush();
    expect(principals()).toEqual(names);
    expect(writes).toEqual([3, 3, 1]);
    expect(state.appends).toBe(3);
    expect(writer.queued()).toBe(0);
    expect(await verifyAuditLog(store)).toMatchObject({ ok: true, rowsChecked: 7 });
  });

  it("retries a failed append with backoff and catches up in order once the store is back", async () => {
    const { store, state, principals, failures } = memoryAuditStore();
    const outcomes: string[] = [];
    const writer = createAuditWriter({ store, logger, flushDelayMs: 1, retryDelayMs: 1, maxRetryDelayMs: 4, observer: { onWrite: ({ outcome }) => outcomes.push(outcome) } });
    state.down = true;
    const failedThrice = failures(3);
    ["a", "b", "c"].forEach((name) => writer.append(entry(name)));
    await failedThrice;
    expect(writer.failing()).toBe(true);
    expect(writer.queued()).toBe(3);
    state.down = false;
    writer.append(entry("d"));
    await writer.flush();
    expect(principals()).toEqual(["a", "b", "c", "d"]);
    expect(outcomes.slice(0, 3)).toEqual(["error", "error", "error"]);
    expect(outcomes.at(-1)).toBe("ok");
    expect(writer.failing()).toBe(false);
  });

  it("appends an entry once when the answer to its append was lost and it is retried", async () => {
    const { store, state, principals, failures } = memoryAuditStore();
    const writer = createAuditWriter({ store, logger, flushDelayMs: 1, retryDelayMs: 1 });
    state.loseAnswers = true;
    const lost = failures(1);
    ["a", "b"].forEach((name) => writer.append(entry(name)));
    await lost;
    state.loseAnswers = false;
    writer.append(entry("c"));
    await writer.flush();
    expect(principals()).toEqual(["a", "b", "c"]);
    expect(await verifyAuditLog(store)).toMatchObject({ ok: true, rowsChecked: 3 });
  });

  it("drops and counts new entries when its queue is full, and never throws", async () => {
    const { store, state, principals } = memoryAuditStore();
    const dropped: number[] = [];
    const writer = createAuditWriter({ store, logger, maxQueued: 2, retryDelayMs: 1, observer: { onDropped: ({ count }) => dropped.push(count) } });
    state.down = true;
    for (const name of ["a", "b", "c", "d"]) {
      expect(() => writer.append(entry(name))).not.toThrow();
    }
    expect(writer.queued()).toBe(2);
    expect(dropped).toEqual([1, 1]);
    state.down = false;
    expect(await writer.close(5_000)).toBe(0);
    expect(principals()).toEqual(["a", "b"]);
  });

  it("close appends everything queued without waiting out the batching delay, then ignores new entries", async () => {
    const { store, principals } = memoryAuditStore();
    const writer = createAuditWriter({ store, logger, flushDelayMs: 60_000 });
    ["a", "b"].forEach((name) => writer.append(entry(name)));
    expect(await writer.close(5_000)).toBe(0);
    writer.append(entry("late"));
    expect(principals()).toEqual(["a", "b"]);
    expect(writer.queued()).toBe(0);
  });

  it("close gives up on a store that stays down within its timeout, saying how many entries are lost", async () => {
    const { store, state } = memoryAuditStore();
    const writer = createAuditWriter({ store, logger, flushDelayMs: 1, retryDelayMs: 1 });
    state.down = true;
    ["a", "b", "c"].forEach((name) => writer.append(entry(name)));
    expect(await writer.close(20)).toBe(3);
  });

  it("flush gives up when its signal aborts, while the store is down", async () => {
    const { store, state } = memoryAuditStore();
    const writer = createAuditWriter({ store, logger, flushDelayMs: 1, retryDelayMs: 1 });
    state.down = true;
    writer.append(entry("a"));
    const reason = new Error("gave up");
    const controller = new AbortController();
    const flushed = writer.flush(controller.signal);
    controller.abort(reason);
    await expect(flushed).rejects.toBe(reason);
    state.down = false;
    await writer.close(5_000);
  });
});
