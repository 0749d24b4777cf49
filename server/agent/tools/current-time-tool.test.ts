import { describe, expect, it } from "vitest";
import { createCurrentTimeTool, createToolRegistry, createToolRunner, type ToolCallOutcome } from "./index.js";

const instant = new Date("2026-11-24T14:59:07Z");
const runner = createToolRunner({
  registry: createToolRegistry([createCurrentTimeTool({ now: () => instant })]),
});

function currentTime(args: string): Promise<ToolCallOutcome> {
  return runner.run({ id: "call_1", name: "current_time", arguments: args }, new AbortController().signal);
}

describe("current_time", () => {
  describe.each([
    ['{"timezone":"Asia/Tokyo"}', "2026-11-24 23:59:07 (Asia/Tokyo, UTC+09:00, Tuesday)"],
    ['{"timezone":"America/St_Johns"}', "2026-11-24 11:29:07 (America/St_Johns, UTC-03:30, Tuesday)"],
    ['{"timezone":"Pacific/Kiritimati"}', "2026-11-25 04:59:07 (Pacific/Kiritimati, UTC+14:00, Wednesday)"],
    ['{"timezone":"UTC"}', "2026-11-24 14:59:07 (UTC, UTC+00:00, Tuesday)"],
    ['{"timezone":"europe/berlin"}', "2026-11-24 15:59:07 (Europe/Berlin, UTC+01:00, Tuesday)"],
    ["{}", "2026-11-24 14:59:07 (UTC, UTC+00:00, Tuesday)"],
    ["", "2026-11-24 14:59:07 (UTC, UTC+00:00, Tuesday)"],
  ])("given %s", (args, expected) => {
    it(`answers ${expected}`, async () => {
      expect(await currentTime(args)).toMatchObject({ status: "ok", result: expected });
    });
  });

  it("shows midnight as 00, not 24", async () => {
    const atMidnight = createToolRunner({
      registry: createToolRegistry([createCurrentTimeTool({ now: () => new Date("2026-03-01T00:00:00Z") })]),
    });

    const outcome = await atMidnight.run({ id: "1", name: "current_time", arguments: "{}" }, new AbortController().signal);

    expect(outcome).toMatchObject({ result: "2026-03-01 00:00:00 (UTC, UTC+00:00, Sunday)" });
  });

  it("follows daylight saving time", async () => {
    const inSummer = createToolRunner({
      registry: createToolRegistry([createCurrentTimeTool({ now: () => new Date("2026-07-01T12:00:00Z") })]),
    });

    const outcome = await inSummer.run(
      { id: "1", name: "current_time", arguments: '{"timezone":"America/New_York"}' },
      new AbortController().signal,
    );

    expect(outcome).toMatchObject({ result: "2026-07-01 08:00:00 (America/New_York, UTC-04:00, Wednesday)" });
  });

  it.each(["Mars/Olympus_Mons", "GMT+25", "Tokyo"])("refuses the unknown zone %s with examples of valid ones", async (zone) => {
    const outcome = await currentTime(JSON.stringify({ timezone: zone }));

    expect(outcome).toMatchObject({ status: "error", reason: "invalid_arguments" });
    expect(outcome.status === "error" && outcome.message).toContain(
      'timezone: Unknown time zone; use an IANA name such as "Europe/Berlin"',
    );
  });

  it("reads the clock on every call, not once", async () => {
    let now = new Date("2026-01-01T00:00:00Z");
    const tool = createCurrentTimeTool({ now: () => now });
    const signal = new AbortController().signal;

    const first = await tool.invoke({}, { signal });
    now = new Date("2026-01-02T00:00:00Z");
    const second = await tool.invoke({}, { signal });

    expect(first).toContain("2026-01-01");
    expect(second).toContain("2026-01-02");
  });
});
