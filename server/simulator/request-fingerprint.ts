import { createHash } from "node:crypto";

/**
 * A hex digest of a request body. Everything the simulator makes up for a response (ids) derives
 * from it, so the same body always gets the same response.
 */
export function requestFingerprint(body: string): string {
  return createHash("sha256").update(body).digest("hex");
}
