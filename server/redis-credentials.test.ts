import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { Redis } from "ioredis";
import { afterEach, describe, expect, it } from "vitest";
import { connectTestRedis, testRedisUrl, type TestRedis } from "./model/cache/testing/test-redis.js";
import { followRedisCredentials, redisCredentialsOf } from "./redis-credentials.js";

describe("redisCredentialsOf", () => {
  it.each([
    { url: "redis://127.0.0.1:6379", credentials: { username: undefined, password: undefined } },
    { url: "redis://:s%40cret@127.0.0.1:6379/2", credentials: { username: "", password: "s@cret" } },
    { url: "rediss://agent:pw@cache:6380", credentials: { username: "agent", password: "pw" } },
  ])("reads $url as ioredis does", ({ url, credentials }) => {
    expect(redisCredentialsOf(url)).toEqual(credentials);
  });
});

// Through a real Redis: a user of the test's own (Redis ACL), whose password is changed while a
// client is connected; the server then ends that client's connection, and the client reconnects.
describe("followRedisCredentials", () => {
  let admin: TestRedis | undefined;
  let client: Redis | undefined;
  const user = `agent-test-${randomBytes(6).toString("hex")}`;
  afterEach(async () => {
    client?.disconnect();
    await admin?.client.call("ACL", "DELUSER", user);
    await admin?.close();
  });

  const urlAs = (password: string) => {
    const url = new URL(testRedisUrl);
    url.username = user;
    url.password = password;
    return url.href;
  };

  it("authenticates a reconnection with the password in force, keeping the connection that is open", async () => {
    admin = await connectTestRedis();
    await admin.client.call("ACL", "SETUSER", user, "on", ">before", "+ping", "+info", "+client");
    let url = urlAs("before");
    client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => 10 });
    followRedisCredentials(client, () => url);
    await client.connect();
    expect(await client.ping()).toBe("PONG");

    // The password changes on the server: the open connection stays authenticated.
    await admin.client.call("ACL", "SETUSER", user, "resetpass", ">after");
    expect(await client.ping()).toBe("PONG");
    url = urlAs("after");

    const ready = once(client, "ready");
    await admin.client.call("CLIENT", "KILL", "USER", user);
    await ready;
    expect(await client.ping()).toBe("PONG");
    expect(client.options.password).toBe("after");
  });
});
