import { describe, expect, it } from "vitest";
import { redactRedisUrl } from "./redis-url.js";

describe("redactRedisUrl", () => {
  it.each([
    ["keeps a URL without credentials", "redis://127.0.0.1:6379/0", "redis://127.0.0.1:6379/0"],
    ["hides a password", "redis://:s3cret@cache.internal:6379/2", "redis://[redacted]@cache.internal:6379/2"],
    ["hides user and password", "rediss://app:s3cret@cache.internal:6380", "rediss://[redacted]@cache.internal:6380"],
    ["hides a user alone", "redis://app@cache.internal", "redis://[redacted]@cache.internal"],
  ])("%s", (_case, url, logged) => {
    expect(redactRedisUrl(url)).toBe(logged);
  });

  it("never echoes a URL it cannot parse", () => {
    expect(redactRedisUrl("redis//:s3cret@@")).not.toContain("s3cret");
  });
});
