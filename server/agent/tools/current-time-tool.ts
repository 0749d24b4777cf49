import { z } from "zod";
import { defineTool, type AgentTool } from "./agent-tool.js";

/**
 * Options for {@link createCurrentTimeTool}.
 */
export interface CurrentTimeToolOptions {
  /**
   * Where the current time comes from.
   * @defaultValue `() => new Date()`
   */
  readonly now?: () => Date;
}

const currentTimeSchema = z.object({
  timezone: z
    .string()
    .max(64)
    .refine(isTimeZone, {
      message: 'Unknown time zone; use an IANA name such as "Europe/Berlin", "America/New_York" or "UTC"',
    })
    .optional()
    .describe('IANA time zone name, e.g. "Asia/Tokyo". Defaults to "UTC".'),
});

/**
 * Creates the `current_time` tool: the date, time, UTC offset and weekday in a time zone, as
 * "2026-11-24 23:59:07 (Asia/Tokyo, UTC+09:00, Tuesday)". An unknown zone is rejected as an
 * invalid argument, with examples of valid ones.
 */
export function createCurrentTimeTool(options: CurrentTimeToolOptions = {}): AgentTool<z.infer<typeof currentTimeSchema>> {
  const now = options.now ?? (() => new Date());
  return defineTool({
    name: "current_time",
    description:
      "Returns the current date, time, UTC offset and weekday in a time zone. Use it whenever the answer " +
      "depends on today's date or the time of day.",
    schema: currentTimeSchema,
    async invoke({ timezone = "UTC" }) {
      return formatZonedTime(now(), timezone.trim());
    },
  });
}

function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: name.trim() });
    return true;
  } catch {
    // Intl reports an unknown zone with a RangeError; nothing else is thrown for a string.
    return false;
  }
}

function formatZonedTime(instant: Date, timeZone: string): string {
  const format = new Intl.DateTimeFormat("en-US", {
    timeZone,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
    // Not hour12: false, which renders midnight as "24" in some ICU versions.
    hourCycle: "h23",
    weekday: "long",
    timeZoneName: "longOffset",
  });
  const parts = new Map(format.formatToParts(instant).map((part) => [part.type, part.value]));
  const part = (type: Intl.DateTimeFormatPartTypes): string => parts.get(type) ?? "";
  const date = `${part("year")}-${part("month")}-${part("day")}`;
  const time = `${part("hour")}:${part("minute")}:${part("second")}`;
  return `${date} ${time} (${displayZoneName(format, timeZone)}, ${utcOffset(part("timeZoneName"))}, ${part("weekday")})`;
}

function displayZoneName(format: Intl.DateTimeFormat, requested: string): string {
  const resolved = format.resolvedOptions().timeZone;
  // Intl fixes the case ("asia/tokyo" → "Asia/Tokyo") but also swaps some zones for legacy
  // aliases ("Asia/Kolkata" → "Asia/Calcutta"); echo the caller's name unless only the case changed.
  return resolved.toLowerCase() === requested.toLowerCase() ? resolved : requested;
}

function utcOffset(gmtOffset: string): string {
  // "longOffset" renders as "GMT+09:00", or a bare "GMT" for zero in some ICU versions.
  const offset = gmtOffset.replace(/^GMT/, "");
  return `UTC${offset === "" ? "+00:00" : offset}`;
}
