import type { JsonReadOptions, JsonWriteOptions } from "@bufbuild/protobuf";
import type { ConnectError } from "@connectrpc/connect";
import type { Logger } from "pino";
import { jsonTooDeepError, undecodableRequestError } from "./decode-errors.js";
import { exceedsJsonDepth } from "./json-nesting-depth.js";

/** Options for {@link createStrictJsonDecoder}. */
export interface StrictJsonDecoderOptions {
  /** Deepest nesting of arrays and objects accepted (`HTTP_MAX_JSON_DEPTH`). Required. */
  readonly maxDepth: number;
  /** Where refused messages are logged, at info, without their content. Required. */
  readonly logger: Logger;
}

/** The part of `TextDecoder` that connect's JSON serialization calls. */
export interface JsonTextDecoder {
  decode(input?: Uint8Array): string;
}

/**
 * The text decoder for connect's `jsonOptions.textDecoder`: every JSON
 * request message passes through it before `JSON.parse`, on every protocol
 * and for the Connect GET `message=` parameter too. It refuses, with
 * INVALID_ARGUMENT and an `agent.v1.ErrorDetail`:
 *
 * - JSON nested deeper than `maxDepth` (reason `JSON_TOO_DEEP`), by a byte
 *   scan before any string or value tree is built;
 * - bytes that are not UTF-8 (reason `UNDECODABLE_REQUEST`), which the
 *   default decoder would silently turn into U+FFFD and so into a different task;
 * - text that is not JSON (reason `UNDECODABLE_REQUEST`), with a message of
 *   our own: V8's quotes the text around the error, cut at UTF-16 code
 *   units, so it can hold half of a surrogate pair, which the gRPC protocols
 *   cannot send (connect-es percent-encodes `grpc-message` with
 *   `encodeURIComponent`, which throws on it, and the call then never ends);
 *   and it would put request content in the log;
 * - a string or key that escapes a lone surrogate, such as `"\ud83d"`
 *   (reason `UNDECODABLE_REQUEST`): no UTF-8 text holds one, so it cannot be
 *   a Protobuf string, as invalid UTF-8 cannot; and protobuf-es quotes keys
 *   and values in its errors, which would carry it to the gRPC trailers.
 *
 * After these checks, every error connect's parse can raise is valid
 * Unicode text. The text is parsed here once more than connect does (a
 * reviver only when it escapes a surrogate at all): about a millisecond for a
 * 256 KiB message, after the depth scan has bounded the nesting.
 *
 * Connect wraps what `decode` throws with `ConnectError.from`, which passes a
 * ConnectError through unchanged, so the caller sees these errors as they are.
 */
export function createStrictJsonDecoder(options: StrictJsonDecoderOptions): JsonTextDecoder {
  // fatal: invalid UTF-8 throws instead of becoming U+FFFD. A leading BOM is
  // still dropped, as connect's default decoder does.
  const utf8 = new TextDecoder("utf-8", { fatal: true });
  const refuse = (err: ConnectError): never => {
    // The decoder is not told which method it decodes for; the message says what broke.
    options.logger.info({ format: "json" }, `refused a request message: ${err.rawMessage}`);
    throw err;
  };
  return {
    decode(input = new Uint8Array(0)) {
      if (exceedsJsonDepth(input, options.maxDepth)) {
        refuse(jsonTooDeepError(options.maxDepth));
      }
      let text: string;
      try {
        text = utf8.decode(input);
      } catch (err) {
        // With a Uint8Array argument, a fatal decoder throws for one reason only.
        return refuse(undecodableRequestError("the JSON text is not valid UTF-8", { cause: err }));
      }
      const problem = checkJsonText(text);
      if (problem !== undefined) {
        refuse(problem);
      }
      return text;
    },
  };
}

// Any \uD800-\uDFFF escape; the reviver then tells lone ones from pairs.
const surrogateEscape = /\\u[dD][89a-fA-F]/;
// In a `u` regex a well-formed pair is one code point, so this matches only lone surrogates.
const loneSurrogate = /\p{Cs}/u;

/** Whether `text` is JSON holding no lone surrogate, or the error saying why not. */
function checkJsonText(text: string): ConnectError | undefined {
  let lone = false;
  const reviver = (key: string, value: unknown): unknown => {
    lone ||= loneSurrogate.test(key) || (typeof value === "string" && loneSurrogate.test(value));
    return value;
  };
  try {
    JSON.parse(text, surrogateEscape.test(text) ? reviver : undefined);
  } catch (err) {
    // A reviver that does not throw leaves one reason: the text is not JSON.
    return undecodableRequestError("the text is not valid JSON", { cause: err });
  }
  return lone
    ? undecodableRequestError("a JSON string escapes a lone surrogate (such as \"\\ud83d\"), which is not Unicode text")
    : undefined;
}

/** connect's JSON options with the strict decoder in them. */
export type StrictJsonOptions = Partial<JsonReadOptions & JsonWriteOptions> & { readonly textDecoder: JsonTextDecoder };

/**
 * JSON options for the connect-node adapter whose `textDecoder` is
 * {@link createStrictJsonDecoder}'s. The adapter's options type does not list
 * `textDecoder`, but connect hands these options to its JSON serialization
 * unchanged, which reads it (`JsonSerializationOptions`);
 * `test/bad-input.test.ts` pins that it still does.
 */
export function createStrictJsonOptions(options: StrictJsonDecoderOptions): StrictJsonOptions {
  return { textDecoder: createStrictJsonDecoder(options) };
}
