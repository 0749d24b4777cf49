import { describe, expect, it } from "vitest";
import { StopReason, StopReasonSchema, ToolCallStatus, ToolCallStatusSchema } from "../../gen/agent/v1/run_pb.js";
import { RunStatus, RunStatusSchema } from "../../gen/agent/v1/run_service_pb.js";
import { enumJson } from "./enum-json.js";
import { formatBytes, formatCost, formatCount, formatDuration, formatPercent, formatTime, prettyJson, statusWord, stopReasonWords, toolStatusWords } from "./format.js";

describe("formatDuration", () => {
  it("writes milliseconds under a second", () => {
    expect(formatDuration(0)).toBe("0 ms");
    expect(formatDuration(350)).toBe("350 ms");
    expect(formatDuration(999.4)).toBe("999 ms");
  });
  it("writes seconds with a tenth under a minute", () => {
    expect(formatDuration(1000)).toBe("1.0 s");
    expect(formatDuration(1234)).toBe("1.2 s");
    expect(formatDuration(59_940)).toBe("59.9 s");
  });
  it("writes minutes and seconds under an hour, hours and minutes beyond", () => {
    expect(formatDuration(59_960)).toBe("1 min 0 s");
    expect(formatDuration(125_000)).toBe("2 min 5 s");
    expect(formatDuration(3_720_000)).toBe("1 h 2 min");
  });
  it("writes a dash for what is not a duration", () => {
    expect(formatDuration(-1)).toBe("—");
    expect(formatDuration(Number.NaN)).toBe("—");
  });
});

describe("formatCost", () => {
  it("writes cents from a dollar up", () => {
    expect(formatCost(1.234)).toBe("$1.23");
    expect(formatCost(1234.5)).toBe("$1,234.50");
  });
  it("writes two significant digits below a dollar", () => {
    expect(formatCost(0.0012)).toBe("$0.0012");
    expect(formatCost(0.00123)).toBe("$0.0012");
    expect(formatCost(0.12)).toBe("$0.12");
    expect(formatCost(0.000012)).toBe("$0.000012");
  });
  it("writes nothing as $0", () => {
    expect(formatCost(0)).toBe("$0");
  });
});

describe("counts, shares, bytes and times", () => {
  it("groups thousands", () => {
    expect(formatCount(12345)).toBe("12,345");
    expect(formatCount(7n)).toBe("7");
  });
  it("writes shares as percentages", () => {
    expect(formatPercent(0)).toBe("0%");
    expect(formatPercent(0.125)).toBe("12.5%");
    expect(formatPercent(1)).toBe("100%");
    expect(formatPercent(0.95)).toBe("95%");
    expect(formatPercent(0.008)).toBe("0.8%");
  });
  it("writes bytes in binary units", () => {
    expect(formatBytes(512)).toBe("512 B");
    expect(formatBytes(1536n)).toBe("1.5 KiB");
  });
  it("writes local times to the second", () => {
    expect(formatTime(new Date(2026, 11, 3, 9, 5, 7))).toBe("2026-12-03 09:05:07");
  });
});

describe("words", () => {
  it("names statuses and stop reasons", () => {
    expect(statusWord("RUN_STATUS_CANCELED")).toBe("Canceled");
    expect(stopReasonWords("STOP_REASON_FINAL_ANSWER")).toBe("Final answer");
    expect(stopReasonWords("STOP_REASON_UNSPECIFIED")).toBe("");
  });
  it("names a message's enum values through their JSON names, every one of them", () => {
    expect(statusWord(enumJson(RunStatusSchema, RunStatus.FAILED))).toBe("Failed");
    expect(stopReasonWords(enumJson(StopReasonSchema, StopReason.COST_LIMIT))).toBe("Cost limit");
    expect(toolStatusWords(enumJson(ToolCallStatusSchema, ToolCallStatus.TIMEOUT))).toBe("Timed out");
    // A value the contract gains must get its words here too.
    for (const { number } of RunStatusSchema.values.filter((value) => value.number !== RunStatus.UNSPECIFIED)) {
      expect(statusWord(enumJson(RunStatusSchema, number))).not.toBe("Unknown");
    }
    for (const { number } of StopReasonSchema.values.filter((value) => value.number !== StopReason.UNSPECIFIED)) {
      expect(stopReasonWords(enumJson(StopReasonSchema, number))).not.toBe("");
    }
    // A number the schema lacks (a newer service): the zero value's name.
    expect(enumJson(RunStatusSchema, 99 as RunStatus)).toBe("RUN_STATUS_UNSPECIFIED");
  });
  it("indents JSON and leaves other text alone", () => {
    expect(prettyJson('{"a":1}')).toBe('{\n  "a": 1\n}');
    expect(prettyJson("{not json")).toBe("{not json");
  });
});
