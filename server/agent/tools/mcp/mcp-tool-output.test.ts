import { describe, expect, it } from "vitest";
import { toolOutputText } from "./mcp-tool-output.js";

describe("toolOutputText", () => {
  it.each([
    ["a string", "sunny", "sunny"],
    ["one text block with structured content", { type: "text", text: '{"t": 21}', structuredContent: { t: 21 } }, '{"t": 21}'],
    ["text blocks, one per line", [{ type: "text", text: "a" }, { type: "text", text: "b" }], "a\nb"],
    ["an image among text", [{ type: "text", text: "chart:" }, { type: "image_url", image_url: { url: "data:image/png;base64,AA" } }], "chart:\n[an image, not shown]"],
    ["audio", [{ type: "audio", data: "AA" }], "[audio, not shown]"],
    ["a linked file", [{ type: "file", source_type: "url", url: "file:///report.pdf" }], "[a file: file:///report.pdf]"],
    ["an embedded text file", [{ type: "file", source_type: "text", text: "notes" }], "notes"],
    ["an unknown block", [{ type: "hologram" }], '[content of type "hologram", not shown]'],
  ])("gives the model %s as text", (_case, content, text) => {
    expect(toolOutputText(content)).toBe(text);
  });
});
