/**
 * The wait a provider asked for with `retry-after-ms` (OpenAI) or
 * `Retry-After` (seconds or an HTTP date), in milliseconds; undefined when the
 * error carries no such header.
 */
export function retryAfterMsOf(err: unknown, now: () => number = Date.now): number | undefined {
  if (typeof err !== "object" || err === null || !("headers" in err)) {
    return undefined;
  }
  const headers = err.headers;
  const get = (name: string): string | null | undefined => {
    if (headers instanceof Headers) {
      return headers.get(name);
    }
    if (typeof headers === "object" && headers !== null && name in headers) {
      const value: unknown = (headers as Record<string, unknown>)[name];
      return typeof value === "string" ? value : undefined;
    }
    return undefined;
  };
  const ms = Number(get("retry-after-ms") ?? Number.NaN);
  if (Number.isFinite(ms) && ms >= 0) {
    return ms;
  }
  const value = get("retry-after");
  if (value === null || value === undefined) {
    return undefined;
  }
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) {
    return seconds * 1000;
  }
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now());
}
