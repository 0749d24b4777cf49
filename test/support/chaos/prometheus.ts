/** One series of a Prometheus text exposition: its name, labels and value. */
export interface Series {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** The service's metrics as Prometheus scrapes them. */
export interface Scrape {
  /** Every series named `name` whose labels include `labels`. */
  series(name: string, labels?: Record<string, string>): Series[];
  /** The sum of those series' values; 0 when there is none. */
  sum(name: string, labels?: Record<string, string>): number;
  /** The distinct values of `label` among those series, sorted. */
  labelValues(name: string, label: string, labels?: Record<string, string>): string[];
}

/** Fetches `metricsUrl` and parses it. */
export async function scrape(metricsUrl: string | undefined): Promise<Scrape> {
  if (metricsUrl === undefined) {
    throw new Error("metrics are off: start the service with METRICS_PORT=0");
  }
  const response = await fetch(metricsUrl);
  if (response.status !== 200) {
    throw new Error(`GET ${metricsUrl}: HTTP ${response.status}`);
  }
  const all = parse(await response.text());
  const series = (name: string, labels: Record<string, string> = {}) =>
    all.filter((s) => s.name === name && Object.entries(labels).every(([key, value]) => s.labels[key] === value));
  return {
    series,
    sum: (name, labels) => series(name, labels).reduce((total, s) => total + s.value, 0),
    labelValues: (name, label, labels) =>
      [...new Set(series(name, labels).flatMap((s) => (s.labels[label] === undefined ? [] : [s.labels[label]])))].sort(),
  };
}

function parse(text: string): Series[] {
  return text.split("\n").flatMap((line) => {
    const match = /^([\w:]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (match === null) {
      return [];
    }
    const labels = Object.fromEntries([...(match[2] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]));
    return [{ name: match[1] ?? "", labels, value: Number(match[3]) }];
  });
}
