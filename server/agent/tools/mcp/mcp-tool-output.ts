/**
 * The text the model is given for what an MCP tool returned, as the adapters hand it over: a
 * string when the tool returned one text block, else content blocks (text, images, audio, files).
 * Text blocks are kept, in order, one per line; other blocks become a short marker saying what was
 * left out, since the model is given text (and the result screen and redaction read text).
 */
export function toolOutputText(content: unknown): string {
  if (typeof content === "string") {
    return content;
  }
  const blocks = Array.isArray(content) ? content : [content];
  return blocks.map(blockText).join("\n");
}

function blockText(block: unknown): string {
  if (typeof block === "string") {
    return block;
  }
  if (typeof block !== "object" || block === null) {
    return "";
  }
  const fields = block as Record<string, unknown>;
  const type = fields["type"];
  if (typeof fields["text"] === "string" && (type === "text" || type === "file")) {
    return fields["text"];
  }
  switch (type) {
    case "image":
    case "image_url":
      return "[an image, not shown]";
    case "audio":
      return "[audio, not shown]";
    case "file":
      return typeof fields["url"] === "string" ? `[a file: ${fields["url"]}]` : "[a file, not shown]";
    default:
      return `[content of type ${JSON.stringify(String(type))}, not shown]`;
  }
}
