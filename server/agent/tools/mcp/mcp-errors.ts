import { createErrorBrand } from "../../../errors/error-brand.js";
import { errorChain } from "../../../model/error-chain.js";

const unavailableBrand = createErrorBrand<McpServerUnavailableError>("McpServerUnavailableError");

/**
 * Thrown by an MCP tool called while its server is not connected (a call that raced the server's
 * going away): the model reads the message and carries on without the tool.
 */
export class McpServerUnavailableError extends Error {
  override readonly name = "McpServerUnavailableError";
  constructor(
    /** The server the tool belongs to. */
    readonly serverName: string,
  ) {
    super(`its MCP server "${serverName}" is unavailable right now; continue without this tool`);
    unavailableBrand.mark(this);
  }
}

/** Whether `value` is a {@link McpServerUnavailableError}. */
export function isMcpServerUnavailableError(value: unknown): value is McpServerUnavailableError {
  return unavailableBrand.is(value);
}

/** The longest description Health and the logs carry; the rest of a long error is noise. */
const maxDescriptionChars = 300;

/**
 * Why an attempt to reach an MCP server failed, as Health and the logs show it: the messages of the
 * error and its causes (`fetch failed: connect ECONNREFUSED 127.0.0.1:9000`), with every value of
 * `secrets` (the server's header and environment values) replaced, so that a server that echoes a
 * header back in an error does not put it in Health.
 */
export function describeMcpFailure(err: unknown, secrets: readonly string[]): string {
  const parts: string[] = [];
  for (const node of errorChain(err)) {
    const message = node instanceof Error ? node.message.trim() : typeof node === "string" ? node.trim() : "";
    // An outer message often repeats its cause's ("Error POSTing …: fetch failed"); say each once.
    if (message !== "" && !parts.some((part) => part.includes(message))) {
      parts.push(message);
    }
  }
  const text = scrubSecrets(parts.join(": ") || "unknown error", secrets);
  return text.length <= maxDescriptionChars ? text : `${text.slice(0, maxDescriptionChars)}…`;
}

/**
 * `text` with every value of `secrets` (an MCP server's header and environment values) replaced
 * by `[redacted]`: for what a server says back (its errors, its standard error), which may echo
 * them. Values under 8 characters ("1", "on") are not secrets worth scrubbing and would mangle
 * the text.
 */
export function scrubSecrets(text: string, secrets: readonly string[]): string {
  let scrubbed = text;
  for (const secret of secrets) {
    if (secret.length >= 8) {
      scrubbed = scrubbed.replaceAll(secret, "[redacted]");
    }
  }
  return scrubbed;
}
