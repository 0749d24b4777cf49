import { round } from "./stats.js";

/** One measured number, with its baseline from the same run and the target it is held to. */
export interface ResultRow {
  readonly measure: string;
  /** The service's number. */
  readonly value: number;
  readonly unit: string;
  /** The baseline's number, measured in the same run, interleaved. */
  readonly baseline?: number;
  /** What the service adds (value − baseline), or the ratio value / baseline, as `unit` says. */
  readonly added?: number;
  readonly ratio?: number;
  /** The target, such as `≤ 2 ms`. */
  readonly target?: string;
  readonly met?: boolean;
}

/** What one scenario reports. */
export interface ScenarioReport {
  readonly scenario: string;
  readonly rows: readonly ResultRow[];
  /** The simulator's CPU use while measured, as a share of one core (0.25 = 25%). */
  readonly simulatorCpuShare?: number;
  /** Everything else worth keeping in `latest.json`: per-step results and settings. */
  readonly details?: Readonly<Record<string, unknown>>;
  readonly durationMs: number;
}

const cell = (value: number | undefined): string => (value === undefined || Number.isNaN(value) ? "" : String(round(value, 2)));

/** A Markdown table of every scenario's rows. */
export function markdownTable(reports: readonly ScenarioReport[]): string {
  const lines = [
    "| Scenario | Measure | Service | Baseline | Added | Ratio | Unit | Target | Met | Simulator CPU |",
    "|---|---|---:|---:|---:|---:|---|---|---|---:|",
  ];
  for (const report of reports) {
    const simulator = report.simulatorCpuShare === undefined ? "" : `${Math.round(report.simulatorCpuShare * 100)}%`;
    for (const row of report.rows) {
      const met = row.met === undefined ? "" : row.met ? "yes" : "**no**";
      lines.push(
        `| ${report.scenario} | ${row.measure} | ${cell(row.value)} | ${cell(row.baseline)} | ${cell(row.added)} | ${cell(row.ratio)} | ${row.unit} | ${row.target ?? ""} | ${met} | ${simulator} |`,
      );
    }
  }
  return lines.join("\n");
}
