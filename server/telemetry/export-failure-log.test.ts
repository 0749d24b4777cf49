import { ExportResultCode, type ExportResult } from "@opentelemetry/core";
import { describe, expect, it } from "vitest";
import { createLogger } from "../logger.js";
import { reportExportFailures } from "./export-failure-log.js";

function fakeExporter() {
  let next: ExportResult = { code: ExportResultCode.SUCCESS };
  return {
    answer(result: ExportResult) {
      next = result;
    },
    export(_items: string[], done: (result: ExportResult) => void) {
      done(next);
    },
  };
}

describe("reportExportFailures", () => {
  it("logs the first failure at once, then one line per interval with a count, then the recovery", () => {
    const lines: Record<string, unknown>[] = [];
    const logger = createLogger({ destination: { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) } });
    let now = 0;
    const exporter = reportExportFailures(fakeExporter(), { signal: "traces", logger, intervalMs: 1_000, clock: () => now });
    const results: ExportResult[] = [];
    const send = () => exporter.export(["span"], (result) => results.push(result));

    send();
    expect(lines).toEqual([]);
    exporter.answer({ code: ExportResultCode.FAILED, error: Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:9"), { code: 14 }) });
    send();
    now = 500;
    send();
    send();
    now = 1_200;
    send();
    exporter.answer({ code: ExportResultCode.SUCCESS });
    send();

    expect(lines.map((l) => [l["level"], l["msg"], l["failed_exports"]])).toEqual([
      ["warn", "OTLP traces export failed; data is being dropped", 1],
      ["warn", "OTLP traces export failed; data is being dropped", 3],
      ["info", "OTLP traces export works again", undefined],
    ]);
    expect(lines[0]?.["error"]).toEqual({ message: "connect ECONNREFUSED 127.0.0.1:9", code: 14 });
    // The exporter's caller still gets every result.
    expect(results.map((r) => r.code)).toEqual([0, 1, 1, 1, 1, 0]);
  });
});
