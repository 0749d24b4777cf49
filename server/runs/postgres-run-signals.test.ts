import { randomUUID } from "node:crypto";
import pg from "pg";
import { pino, type Logger } from "pino";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, viaPort, type TestDatabase } from "../../test/support/postgres.js";
import { startTcpProxy, type TcpProxy } from "../../test/support/tcp-proxy.js";
import {
  createPostgresRunSignals,
  isRunCancelNotSentError,
  runSignalChannels,
  type PostgresRunSignalsOptions,
} from "./postgres-run-signals.js";
import type { RunSignals } from "./run-signals.js";

/** Longest wait for something that takes milliseconds on a healthy local database. */
const boundMs = 5_000;

/** `promise`, or a rejection naming `what` once `ms` have passed: a failing test says what it waited for. */
async function within<T>(promise: Promise<T>, what: string, ms = boundMs): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Records the calls of a listener; `reached(n)` resolves once it has been called `n` times. */
function callLog<T>() {
  const calls: T[] = [];
  const waiters = new Set<{ readonly count: number; readonly resolve: () => void }>();
  return {
    calls,
    record(value: T) {
      calls.push(value);
      for (const waiter of waiters) {
        if (calls.length >= waiter.count) {
          waiters.delete(waiter);
          waiter.resolve();
        }
      }
    },
    reached(count: number): Promise<void> {
      if (calls.length >= count) {
        return Promise.resolve();
      }
      return new Promise((resolve) => waiters.add({ count, resolve }));
    },
  };
}

/** Counts the calls of a listener that takes no arguments. */
function callCount() {
  const log = callLog<null>();
  return { calls: log.calls, record: () => log.record(null), reached: log.reached };
}

/** A debug logger whose lines a test can wait for. */
function watchedLogger() {
  const lines = callLog<Record<string, unknown>>();
  const logger = pino(
    { level: "debug", formatters: { level: (label) => ({ level: label }) } },
    { write: (line: string) => lines.record(JSON.parse(line) as Record<string, unknown>) },
  );
  return {
    logger,
    lines: lines.calls,
    /** Resolves once a line at `level` whose message contains `text` has been written. */
    async line(level: string, text: string): Promise<void> {
      const matches = (line: Record<string, unknown>) => line["level"] === level && String(line["msg"]).includes(text);
      for (let count = 1; !lines.calls.some(matches); count = lines.calls.length + 1) {
        await lines.reached(count);
      }
    },
  };
}

/** A plain client LISTENing on `channel`, as another program would. */
async function rawListener(url: string, channel: string) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const payloads = callLog<string>();
  client.on("notification", (message) => payloads.record(message.payload ?? ""));
  await client.query(`LISTEN ${channel}`);
  return { payloads, close: () => client.end() };
}

let db: TestDatabase;
const opened: RunSignals[] = [];
const proxies: TcpProxy[] = [];
const silent = pino({ level: "silent" });

beforeAll(async () => {
  // A database of its own: channels are per database, so no other test run hears these signals.
  db = await createTestDatabase("run_signals_test");
});

afterEach(async () => {
  await Promise.all(opened.splice(0).map((signals) => signals.close()));
  await Promise.all(proxies.splice(0).map((proxy) => proxy.close()));
});

afterAll(async () => {
  await db.drop();
});

async function replica(options: Partial<PostgresRunSignalsOptions> & { logger?: Logger } = {}): Promise<RunSignals> {
  const signals = await createPostgresRunSignals({ connectionString: db.url, logger: silent, ...options });
  opened.push(signals);
  return signals;
}

async function proxy(): Promise<TcpProxy> {
  const started = await startTcpProxy({ host: db.host, port: db.port });
  proxies.push(started);
  return started;
}

/** Fast reconnects, so a test through a broken proxy does not wait out production backoff. */
const quickReconnect = { reconnectDelayMs: 10, maxReconnectDelayMs: 100, connectTimeoutMs: 1_000 };

describe("createPostgresRunSignals", () => {
  it("delivers a stored signal from one replica to the other's listeners of that run only", async () => {
    const [a, b] = await Promise.all([replica(), replica()]);
    const [runId, otherRunId] = [randomUUID(), randomUUID()];
    const heard = callCount();
    const otherHeard = callCount();
    b.onStored(runId, () => heard.record());
    b.onStored(otherRunId, () => otherHeard.record());

    a.publishStored([runId]);

    await within(heard.reached(1), "B's listener of the run");
    // The listener of the other run would have been called from the same notification, before this one.
    expect(otherHeard.calls).toHaveLength(0);
  });

  it("delivers a cancel from one replica to the other's cancel listeners", async () => {
    const [a, b] = await Promise.all([replica(), replica()]);
    const runId = randomUUID();
    const heardByA = callLog<string>();
    const heardByB = callLog<string>();
    a.onCancel((id) => heardByA.record(id));
    b.onCancel((id) => heardByB.record(id));

    const sent = b.publishCancel(runId);
    // The publisher's own listeners hear it at once, before any round trip.
    expect(heardByB.calls).toEqual([runId]);
    await within(sent, "the cancel's NOTIFY");

    await within(heardByA.reached(1), "A's cancel listener");
    expect(heardByA.calls).toEqual([runId]);
  });

  it("delivers its own signals locally at once and ignores their echoes", async () => {
    const [a, b] = await Promise.all([replica(), replica()]);
    const [runId, barrierRunId] = [randomUUID(), randomUUID()];
    const stored = callCount();
    const cancels = callLog<string>();
    a.onStored(runId, () => stored.record());
    a.onCancel((id) => cancels.record(id));
    const storedOnB = callCount();
    b.onStored(runId, () => storedOnB.record());

    a.publishStored([runId]);
    expect(stored.calls).toHaveLength(1);
    await within(a.publishCancel(runId), "A's cancel NOTIFY");
    expect(cancels.calls).toEqual([runId]);
    await within(storedOnB.reached(1), "B hearing A's stored signal");

    // PostgreSQL delivers notifications in commit order: once A hears this
    // cancel from B, sent after both of A's were committed, it has read their echoes.
    await within(b.publishCancel(barrierRunId), "B's cancel NOTIFY");
    await within(cancels.reached(2), "A hearing B's cancel");
    expect(cancels.calls).toEqual([runId, barrierRunId]);
    expect(stored.calls).toHaveLength(1);
  });

  it("delivers a batch of 1,000 run ids complete, coalesced into few NOTIFYs each under 8,000 bytes", async () => {
    const [a, b] = await Promise.all([replica(), replica()]);
    const raw = await rawListener(db.url, runSignalChannels.stored);
    try {
      const runIds = Array.from({ length: 1_000 }, () => randomUUID());
      const heard = new Set<string>();
      const heardAll = callCount();
      for (const runId of runIds) {
        b.onStored(runId, () => {
          heard.add(runId);
          heardAll.record();
        });
      }

      // Ten calls in one tick, as a recorder's batch of many runs might make.
      for (let i = 0; i < runIds.length; i += 100) {
        a.publishStored(runIds.slice(i, i + 100));
      }

      await within(heardAll.reached(runIds.length), "B hearing every run id");
      expect(heard).toEqual(new Set(runIds));
      // 1,000 UUIDs of 39 bytes each, quoted and separated, fill 5 payloads.
      await within(raw.payloads.reached(5), "the plain listener's NOTIFYs");
      expect(raw.payloads.calls).toHaveLength(5);
      for (const payload of raw.payloads.calls) {
        expect(Buffer.byteLength(payload)).toBeLessThan(8_000);
      }
    } finally {
      await raw.close();
    }
  });

  it("sends one stored NOTIFY at a time, gathering the ids published meanwhile into the next", async () => {
    const tcp = await proxy();
    const b = await replica({ connectionString: viaPort(db.url, tcp.port), ...quickReconnect });
    const raw = await rawListener(db.url, runSignalChannels.stored);
    try {
      const [first, second, third] = [randomUUID(), randomUUID(), randomUUID()];
      // Holds B's first send on the wire until restored.
      tcp.stall();
      b.publishStored([first]);
      await new Promise((resolve) => setImmediate(resolve));
      b.publishStored([second]);
      await new Promise((resolve) => setImmediate(resolve));
      b.publishStored([third, second]);
      tcp.restore();

      await within(raw.payloads.reached(2), "the plain listener's NOTIFYs");
      const runIdsOf = (payload: string) => (JSON.parse(payload) as { runIds: string[] }).runIds;
      expect(raw.payloads.calls.map(runIdsOf)).toEqual([[first], [second, third]]);
    } finally {
      await raw.close();
    }
  });

  it("ignores notifications on its channels that are not run signals", async () => {
    const captured = watchedLogger();
    const [a, b] = await Promise.all([replica(), replica({ logger: captured.logger })]);
    const runId = randomUUID();
    const stored = callCount();
    const cancels = callLog<string>();
    b.onStored(runId, () => stored.record());
    b.onCancel((id) => cancels.record(id));
    const malformed: [channel: string, payload: string][] = [
      [runSignalChannels.stored, ""],
      [runSignalChannels.stored, "not json"],
      [runSignalChannels.stored, "null"],
      [runSignalChannels.stored, `["${runId}"]`],
      [runSignalChannels.stored, `{"replica":"other","runIds":"${runId}"}`],
      [runSignalChannels.stored, `{"replica":"other","runIds":[1,2]}`],
      [runSignalChannels.stored, `{"runIds":["${runId}"]}`],
      [runSignalChannels.cancel, `{"replica":"other","runIds":["${runId}"]}`],
      [runSignalChannels.cancel, `{"replica":"other","runId":42}`],
      [runSignalChannels.cancel, "{".repeat(5_000)],
    ];

    for (const [channel, payload] of malformed) {
      await db.query("SELECT pg_notify($1, $2)", [channel, payload]);
    }
    // Sent after the malformed ones were committed, so B reads it after them.
    a.publishStored([runId]);

    await within(stored.reached(1), "B hearing the well-formed signal");
    expect(stored.calls).toHaveLength(1);
    expect(cancels.calls).toEqual([]);
    const ignored = captured.lines.filter((line) => line["level"] === "debug" && String(line["msg"]).startsWith("ignored a notification"));
    expect(ignored).toHaveLength(malformed.length);
  });

  it("rejects a cancel while PostgreSQL is cut off, then reconnects, calls every stored listener, and hears signals again", async () => {
    const tcp = await proxy();
    const captured = watchedLogger();
    const a = await replica();
    const b = await replica({ connectionString: viaPort(db.url, tcp.port), logger: captured.logger, ...quickReconnect });
    const runId = randomUUID();
    const stored = callCount();
    const cancelsOnA = callLog<string>();
    b.onStored(runId, () => stored.record());
    a.onCancel((id) => cancelsOnA.record(id));
    a.publishStored([runId]);
    await within(stored.reached(1), "B hearing a stored signal before the cut");
    // Leaves B's sending connection idle in its pool, where the cut breaks it too.
    const runIdBefore = randomUUID();
    await within(b.publishCancel(runIdBefore), "B's cancel before the cut");
    await within(cancelsOnA.reached(1), "A hearing B's cancel before the cut");

    tcp.cut();
    await within(captured.line("debug", "an idle PostgreSQL connection for sending run signals failed"), "B's pool noticing the cut");
    const rejection = await within(b.publishCancel(randomUUID()).then(() => undefined, (err: unknown) => err), "the cancel while cut");
    expect(isRunCancelNotSentError(rejection)).toBe(true);
    expect((rejection as Error).cause).toBeInstanceOf(Error);
    await within(captured.line("warn", "lost the PostgreSQL connection that listens"), "B noticing the cut");

    tcp.restore();
    // Nobody published meanwhile: this call is the resync after the reconnect.
    await within(stored.reached(2), "B's resync after reconnecting");
    a.publishStored([runId]);
    await within(stored.reached(3), "B hearing a stored signal after the reconnect");
    const runIdAfter = randomUUID();
    await within(b.publishCancel(runIdAfter), "B's cancel after the reconnect");
    await within(cancelsOnA.reached(2), "A hearing B's cancel after the reconnect");
    expect(cancelsOnA.calls).toEqual([runIdBefore, runIdAfter]);
  });

  it("notices a listening connection that went silent by its health check, and reconnects", async () => {
    const tcp = await proxy();
    const captured = watchedLogger();
    const a = await replica();
    const b = await replica({
      connectionString: viaPort(db.url, tcp.port),
      logger: captured.logger,
      ...quickReconnect,
      connectTimeoutMs: 200,
      healthCheckIntervalMs: 50,
    });
    const runId = randomUUID();
    const stored = callCount();
    b.onStored(runId, () => stored.record());

    tcp.stall();
    await within(captured.line("warn", "lost the PostgreSQL connection that listens"), "B's health check failing");
    tcp.restore();

    await within(stored.reached(1), "B's resync after reconnecting");
    a.publishStored([runId]);
    await within(stored.reached(2), "B hearing a stored signal after the reconnect");
  });

  it("starts while PostgreSQL is unreachable and listens once it is back", async () => {
    const tcp = await proxy();
    tcp.cut();
    const captured = watchedLogger();
    const b = await within(
      replica({ connectionString: viaPort(db.url, tcp.port), logger: captured.logger, ...quickReconnect }),
      "starting while cut",
    );
    expect(captured.lines.some((line) => line["level"] === "warn" && String(line["msg"]).startsWith("cannot listen"))).toBe(true);
    const runId = randomUUID();
    const stored = callCount();
    b.onStored(runId, () => stored.record());

    tcp.restore();
    await within(stored.reached(1), "B's first listen, calling every stored listener");
    const a = await replica();
    a.publishStored([runId]);
    await within(stored.reached(2), "B hearing a stored signal");
  });

  it("still sends the stored signals published just before close", async () => {
    const [a, b] = await Promise.all([replica(), replica()]);
    const runId = randomUUID();
    const heard = callCount();
    b.onStored(runId, () => heard.record());
    // Gives A's pool an idle connection, which ending the pool first would close under the last send.
    await a.publishCancel(randomUUID());

    a.publishStored([runId]);
    await within(a.close(), "A's close");

    await within(heard.reached(1), "B hearing the last stored signal");
  });

  it("closes promptly while PostgreSQL is cut off", async () => {
    const tcp = await proxy();
    const b = await replica({ connectionString: viaPort(db.url, tcp.port), ...quickReconnect });
    b.publishStored([randomUUID()]);
    await expect(b.publishCancel(randomUUID())).resolves.toBeUndefined();

    tcp.cut();
    b.publishStored([randomUUID()]);
    await within(b.close(), "close while cut", 1_000);
  });

  it("rejects a cancel once closed", async () => {
    const b = await replica();
    const cancels = callLog<string>();
    b.onCancel((id) => cancels.record(id));
    await b.close();

    await expect(b.publishCancel(randomUUID())).rejects.toSatisfy(isRunCancelNotSentError);
    expect(cancels.calls).toEqual([]);
  });
});
