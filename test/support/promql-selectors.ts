/**
 * The series a PromQL expression reads, for checking alert rules and
 * dashboards against what a service really exports. Not a PromQL parser: it
 * knows enough of the grammar (strings, label matchers, ranges, grouping
 * clauses, functions, keywords, Grafana's `$variables`) to find each metric
 * name and the label names used with it, which is all the check needs.
 */
export interface PromqlSelectors {
  /** Every metric name the expression selects. */
  readonly metrics: ReadonlySet<string>;
  /** Every label name it matches on, groups by or joins on. */
  readonly labels: ReadonlySet<string>;
}

const keywords = new Set([
  "by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or", "unless", "offset", "atan2",
  // Aggregations take their grouping after or before the parenthesis: `sum by (x) (…)`.
  "sum", "min", "max", "avg", "count", "stddev", "stdvar", "topk", "bottomk", "quantile", "count_values", "group", "inf", "nan",
]);

/** Finds the metric names and label names that `expr` uses. */
export function promqlSelectors(expr: string): PromqlSelectors {
  const metrics = new Set<string>();
  const labels = new Set<string>();
  // Grafana's label_values(metric, label) names a metric and a label.
  let text = expr.replace(/label_values\(\s*([\w:]+)\s*,\s*(\w+)\s*\)/g, (_, metric: string, label: string) => {
    metrics.add(metric);
    labels.add(label);
    return " ";
  });
  // Label matchers first, while their values are still quoted: {name="v", other=~"x|y"}.
  text = text.replace(/\{([^}]*)\}/g, (_, body: string) => {
    for (const matcher of body.matchAll(/([A-Za-z_]\w*)\s*(?:=~|!~|!=|=)\s*"(?:[^"\\]|\\.)*"/g)) {
      labels.add(matcher[1] ?? "");
    }
    return " ";
  });
  // Then strings, ranges and subqueries ([5m], [$__range]), and Grafana variables.
  text = text.replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, " ").replace(/\[[^\]]*\]/g, " ").replace(/\$\{?\w+\}?/g, " ");
  // Grouping and matching clauses list label names: by (a, b), on (pod), group_left (x).
  text = text.replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)/g, (_, _clause: string, names: string) => {
    for (const name of names.split(",")) {
      if (name.trim() !== "") {
        labels.add(name.trim());
      }
    }
    return " ";
  });
  for (const match of text.matchAll(/([A-Za-z_:][\w:]*)(\s*\()?/g)) {
    const name = match[1] ?? "";
    // A name followed by a parenthesis is a function; numbers and durations never match.
    if (match[2] === undefined && !keywords.has(name.toLowerCase()) && !/^\d/.test(name)) {
      metrics.add(name);
    }
  }
  return { metrics, labels };
}
