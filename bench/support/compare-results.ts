/**
 * A before/after Markdown table of two `npm run bench` results, for `bench/RESULTS.md`: rows
 * matched by scenario and measure; the "added" column where a row has a baseline, else the value.
 *
 *   tsx bench/support/compare-results.ts bench/results/before.json bench/results/latest.json
 */
import { readFileSync } from "node:fs";
import type { ResultRow, ScenarioReport } from "./report.js";
import { round } from "./stats.js";

interface BenchResults {
  readonly run: { readonly commit: string; readonly serviceRoot: string };
  readonly reports: readonly ScenarioReport[];
}

const [beforePath, afterPath] = process.argv.slice(2);
if (beforePath === undefined || afterPath === undefined) throw new Error("usage: compare-results.ts <before.json> <after.json>");
const read = (path: string) => JSON.parse(readFileSync(path, "utf8")) as BenchResults;
const before = read(beforePath);
const after = read(afterPath);

const headline = (row: ResultRow): number => row.added ?? row.value;
const show = (value: number | undefined): string => (value === undefined || Number.isNaN(value) ? "–" : String(round(value, 2)));
const beforeRows = new Map(before.reports.flatMap((report) => report.rows.map((row) => [`${report.scenario}|${row.measure}`, row] as const)));

console.log(`| Scenario | Measure | Unit | Before (${before.run.commit}) | After (${after.run.commit}) | After: service / baseline | Target | Met after |`);
console.log("|---|---|---|---:|---:|---:|---|---|");
for (const report of after.reports) {
  for (const row of report.rows) {
    const old = beforeRows.get(`${report.scenario}|${row.measure}`);
    const pair = row.baseline === undefined ? "" : `${show(row.value)} / ${show(row.baseline)}`;
    const met = row.met === undefined ? "" : row.met ? "yes" : "**no**";
    console.log(`| ${report.scenario} | ${row.measure} | ${row.unit} | ${old === undefined ? "–" : show(headline(old))} | ${show(headline(row))} | ${pair} | ${row.target ?? ""} | ${met} |`);
  }
}
