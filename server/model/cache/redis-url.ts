/**
 * A Redis URL that is safe to log: user name and password replaced by
 * `[redacted]`, everything else kept. A URL that does not parse is not
 * echoed at all, since it may still hold a password.
 */
export function redactRedisUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return "[unparseable redis url]";
  }
  if (parsed.username === "" && parsed.password === "") {
    return parsed.href;
  }
  parsed.username = "";
  parsed.password = "";
  // URL cannot express "credentials present but hidden", so splice the marker in.
  return parsed.href.replace("//", "//[redacted]@");
}
