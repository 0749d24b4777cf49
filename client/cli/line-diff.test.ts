import { describe, expect, it } from "vitest";
import { diffLines, formatUnifiedDiff, type DiffLine } from "./line-diff.js";

const ops = (lines: readonly DiffLine[]) => lines.map((line) => `${line.op === "same" ? " " : line.op === "removed" ? "-" : "+"}${line.text}`);

describe("diffLines", () => {
  it.each([
    { case: "identical texts", before: ["a", "b"], after: ["a", "b"], diff: [" a", " b"] },
    { case: "a changed line", before: ["a", "b", "c"], after: ["a", "x", "c"], diff: [" a", "-b", "+x", " c"] },
    { case: "lines added at the end", before: ["a"], after: ["a", "b", "c"], diff: [" a", "+b", "+c"] },
    { case: "lines removed at the start", before: ["a", "b", "c"], after: ["c"], diff: ["-a", "-b", " c"] },
    { case: "an empty first text", before: [], after: ["a"], diff: ["+a"] },
    { case: "a moved line, kept where the common lines are longest", before: ["a", "b", "c", "d"], after: ["b", "c", "d", "a"], diff: ["-a", " b", " c", " d", "+a"] },
  ])("aligns $case on their longest common subsequence", ({ before, after, diff }) => {
    expect(ops(diffLines(before, after))).toEqual(diff);
  });
});

describe("formatUnifiedDiff", () => {
  it("prints hunks with three lines of context and the line numbers of both texts", () => {
    const before = Array.from({ length: 20 }, (_, i) => `line ${i + 1}`);
    const after = before.map((line, i) => (i === 9 ? "line ten" : line));
    expect(formatUnifiedDiff(diffLines(before, after), { from: "a@1", to: "a@2" })).toBe(
      ["--- a@1", "+++ a@2", "@@ -7,7 +7,7 @@", " line 7", " line 8", " line 9", "-line 10", "+line ten", " line 11", " line 12", " line 13", ""].join("\n"),
    );
  });

  it("keeps changes apart in their own hunks, and close ones in one", () => {
    const before = Array.from({ length: 30 }, (_, i) => `${i + 1}`);
    const after = before.map((line, i) => ([1, 4, 25].includes(i) ? `${line}!` : line));
    const headers = formatUnifiedDiff(diffLines(before, after), { from: "a", to: "b" })
      .split("\n")
      .filter((line) => line.startsWith("@@"));
    expect(headers).toEqual(["@@ -1,8 +1,8 @@", "@@ -23,7 +23,7 @@"]);
  });

  it("is empty when nothing changed", () => {
    expect(formatUnifiedDiff(diffLines(["a"], ["a"]), { from: "a", to: "b" })).toBe("");
  });
});
