/**
 * Finds the time zone a question is about, for the simulated model's `current_time` calls.
 */

// Area/Location names as in the IANA database: "Asia/Tokyo", "America/Argentina/Buenos_Aires".
const ianaZonePattern = /\b(?:Africa|America|Antarctica|Arctic|Asia|Atlantic|Australia|Europe|Indian|Pacific|Etc)(?:\/[A-Za-z0-9_+-]+)+/;

// A deliberately small map of well-known cities; anything else falls back to UTC.
const cityZones: ReadonlyArray<readonly [city: string, zone: string]> = [
  ["new york", "America/New_York"],
  ["los angeles", "America/Los_Angeles"],
  ["san francisco", "America/Los_Angeles"],
  ["chicago", "America/Chicago"],
  ["toronto", "America/Toronto"],
  ["sao paulo", "America/Sao_Paulo"],
  ["london", "Europe/London"],
  ["paris", "Europe/Paris"],
  ["berlin", "Europe/Berlin"],
  ["madrid", "Europe/Madrid"],
  ["rome", "Europe/Rome"],
  ["amsterdam", "Europe/Amsterdam"],
  ["moscow", "Europe/Moscow"],
  ["dubai", "Asia/Dubai"],
  ["mumbai", "Asia/Kolkata"],
  ["delhi", "Asia/Kolkata"],
  ["singapore", "Asia/Singapore"],
  ["hong kong", "Asia/Hong_Kong"],
  ["shanghai", "Asia/Shanghai"],
  ["beijing", "Asia/Shanghai"],
  ["seoul", "Asia/Seoul"],
  ["tokyo", "Asia/Tokyo"],
  ["sydney", "Australia/Sydney"],
  ["auckland", "Pacific/Auckland"],
];

const cityPattern = new RegExp(`\\b(${cityZones.map(([city]) => city.replace(" ", "\\s+")).join("|")})\\b`, "i");
const cityLookup = new Map(cityZones);

/** The zone used when a question names none the simulator knows. */
export const fallbackTimeZone = "UTC";

/**
 * The IANA zone a question is about: a zone written literally (`Europe/Paris`), else the first
 * known city mentioned (`Tokyo` → `Asia/Tokyo`), else {@link fallbackTimeZone}.
 */
export function findTimeZone(text: string): string {
  const literal = ianaZonePattern.exec(text);
  if (literal) return literal[0];
  const city = cityPattern.exec(text);
  if (city?.[1] !== undefined) {
    return cityLookup.get(city[1].toLowerCase().replace(/\s+/g, " ")) ?? fallbackTimeZone;
  }
  return fallbackTimeZone;
}

/** Whether the text asks about the time or the date. */
export function asksForTime(text: string): boolean {
  return /\b(?:time|clock|date)\b|\bwhat day\b/i.test(text);
}
