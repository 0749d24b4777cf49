import { Code } from "@connectrpc/connect";
import type { BatchEntry } from "./fuzz-batch.js";
import { describeRequest } from "./fuzz-request.js";

interface Finding {
  count: number;
  readonly example: string;
}

/**
 * Every violation seen in a fuzz run, grouped by property, cell and finding,
 * with a count and the first request that showed it: fast-check stops a
 * property at its first failure, this shows every distinct cause met on the way.
 */
export interface FindingLog {
  record(cell: string, entries: readonly BatchEntry[]): void;
  recordProblem(cell: string, property: string, finding: string, example: string): void;
  /** The report, of one cell or of all; empty when nothing was found. */
  report(cell?: string): string;
  /** How many requests got which answer, per cell: shows what the generators reach. */
  answers(): string;
}

function answerName(entry: BatchEntry): string {
  const answer = entry.answer;
  if (answer === undefined) {
    return "no answer";
  }
  switch (answer.kind) {
    case "rpc status":
      return answer.code === 0 ? "OK" : (Code[answer.code] ?? `code ${answer.code}`);
    case "http status":
      return `HTTP ${answer.status}`;
    default:
      return answer.kind;
  }
}

/** Collects the findings of a fuzz run. */
export function createFindingLog(): FindingLog {
  const findings = new Map<string, Finding>();
  const answers = new Map<string, Map<string, number>>();
  const add = (key: string, example: string) => {
    const known = findings.get(key);
    if (known === undefined) {
      findings.set(key, { count: 1, example });
    } else {
      known.count++;
    }
  };
  return {
    record(cell, entries) {
      const tally = answers.get(cell) ?? new Map<string, number>();
      answers.set(cell, tally);
      for (const entry of entries) {
        tally.set(answerName(entry), (tally.get(answerName(entry)) ?? 0) + 1);
        for (const violation of entry.violations) {
          add(`${violation.property} | ${cell} | ${violation.finding}`, describeRequest(entry.request));
        }
      }
    },
    recordProblem(cell, property, finding, example) {
      add(`${property} | ${cell} | ${finding}`, example);
    },
    report(cell) {
      return [...findings.entries()]
        .filter(([key]) => cell === undefined || key.split(" | ")[1] === cell)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([key, { count, example }]) => `${count}× ${key}\n    e.g. ${example}`)
        .join("\n");
    },
    answers() {
      return [...answers.entries()]
        .map(([cell, tally]) => `${cell}: ${[...tally.entries()].map(([name, n]) => `${name} ${n}`).join(", ")}`)
        .join("\n");
    },
  };
}
