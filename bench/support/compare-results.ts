/**
 * A side-by-side Markdown table of several `npm run bench` results, oldest first, for
 * `bench/RESULTS.md`: rows matched by scenario and measure; each tree's "added" value where a
 * row has a baseline, else its value; the last result's service / baseline pair, target and verdict.
 *
 *   tsx bench/support/compare-results.ts before.json [middle.json …] latest.json
 */
import { readFileSync } from "node:fs";
import type { ResultRow, ScenarioReport } from "./report.js";
import { round } from "./stats.js";

interface BenchResults {
  readonly run: { readonly commit: string; readonly serviceRoot: string };
  readonly reports: readonly ScenarioReport[];
}

const paths = process.argv.slice(2);
if (paths.length < 2) throw new Error("usage: compare-results.ts <before.json> [<middle.json> …] <after.json>");
const results = paths.map((path) => JSON.parse(readFileSync(path, "utf8")) as BenchResults);
const latest = results[results.length - 1] as BenchResults;
const earlier = results.slice(0, -1);

const headline = (row: ResultRow): number => row.added ?? row.value;
const show = (value: number | undefined): string => (value === undefined || Number.isNaN(value) ? "–" : String(round(value, 2)));
const rowsOf = (result: BenchResults) =>
  new Map(result.reports.flatMap((report) => report.rows.map((row) => [`${report.scenario}|${row.measure}`, row] as const)));
const earlierRows = earlier.map(rowsOf);

const columns = results.map((result) => result.run.commit);
console.log(`| Scenario | Measure | Unit | ${columns.join(" | ")} | ${columns[columns.length - 1]}: service / baseline | Target | Met |`);
console.log(`|---|---|---|${columns.map(() => "---:|").join("")}---:|---|---|`);
for (const report of latest.reports) {
  for (const row of report.rows) {
    const key: `${string}|${string}` = `${report.scenario}|${row.measure}`;
    const before = earlierRows.map((rows) => {
      const old = rows.get(key);
      return old === undefined ? "–" : show(headline(old));
    });
    const pair = row.baseline === undefined ? "" : `${show(row.value)} / ${show(row.baseline)}`;
    const met = row.met === undefined ? "" : row.met ? "yes" : "**no**";
    console.log(`| ${report.scenario} | ${row.measure} | ${row.unit} | ${[...before, show(headline(row))].join(" | ")} | ${pair} | ${row.target ?? ""} | ${met} |`);
  }
}
