import { describe, expect, it } from "vitest";
import { preferredEncoding } from "./viewer-files.js";

describe("preferredEncoding", () => {
  it.each([
    { accept: undefined, encoding: undefined },
    { accept: "", encoding: undefined },
    { accept: "identity", encoding: undefined },
    { accept: "deflate", encoding: undefined },
    { accept: "gzip, deflate, br, zstd", encoding: "br" },
    { accept: "GZIP", encoding: "gzip" },
    { accept: "br;q=0, gzip", encoding: "gzip" },
    { accept: "br;q=0.1, gzip;q=1", encoding: "br" },
    { accept: "br; q=0, gzip; q=0", encoding: undefined },
    { accept: "*", encoding: undefined },
  ])("picks $encoding for accept-encoding $accept", ({ accept, encoding }) => {
    expect(preferredEncoding(accept)).toBe(encoding);
  });
});
