import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";

/** The Redis the tests talk to: `REDIS_URL`, or a local server. */
export const testRedisUrl = process.env["REDIS_URL"] ?? "redis://127.0.0.1:6379";

/** Host and port of {@link testRedisUrl}, for a proxy in front of it. */
export function testRedisAddress(): { host: string; port: number } {
  const url = new URL(testRedisUrl);
  return { host: url.hostname, port: url.port === "" ? 6379 : Number(url.port) };
}

/** {@link testRedisUrl} with its host and port replaced by a proxy's, keeping credentials and database. */
export function viaProxy(port: number): string {
  const url = new URL(testRedisUrl);
  url.hostname = "127.0.0.1";
  url.port = String(port);
  return url.href;
}

/** A key prefix no other test run uses, so runs sharing one Redis never see each other's keys. */
export function uniqueKeyPrefix(): string {
  return `agent:cache:test:${randomUUID()}:`;
}

/** A plain client for arranging and inspecting Redis directly, and cleaning up after a test. */
export interface TestRedis {
  readonly client: Redis;
  /** Deletes every key under `prefix`. */
  deleteKeys(prefix: string): Promise<void>;
  close(): Promise<void>;
}

/** Connects to {@link testRedisUrl}; fails the test if Redis is not there, never skips it. */
export async function connectTestRedis(): Promise<TestRedis> {
  const client = new Redis(testRedisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await client.connect();
  return {
    client,
    async deleteKeys(prefix) {
      let cursor = "0";
      do {
        const [next, keys] = await client.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 500);
        if (keys.length > 0) {
          await client.del(...keys);
        }
        cursor = next;
      } while (cursor !== "0");
    },
    async close() {
      await client.quit();
    },
  };
}
