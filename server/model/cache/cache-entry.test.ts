import { describe, expect, it } from "vitest";
import { z } from "zod";
import { createCacheEntryCodec } from "./cache-entry.js";

const answer = z.object({ text: z.string(), tokens: z.number() });
const codec = createCacheEntryCodec(2, answer);

describe("cache entry codec", () => {
  it("stores the value with its format version", () => {
    const entry = codec.encode({ text: "hi", tokens: 3 });
    expect(JSON.parse(entry)).toEqual({ v: 2, value: { text: "hi", tokens: 3 } });
    expect(codec.decode(entry)).toEqual({ ok: true, value: { text: "hi", tokens: 3 } });
  });

  it.each([
    ["another format version", '{"v":1,"value":{"text":"hi","tokens":3}}', "version"],
    ["a value failing the schema", '{"v":2,"value":{"text":"hi"}}', "schema"],
    ["text that is not JSON", "{not json", "malformed"],
    ["JSON without the envelope", '{"text":"hi","tokens":3}', "malformed"],
    ["a JSON scalar", "42", "malformed"],
  ])("rejects %s", (_case, text, reason) => {
    expect(codec.decode(text)).toEqual({ ok: false, reason });
  });
});
