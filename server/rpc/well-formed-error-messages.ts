import { ConnectError, type Interceptor } from "@connectrpc/connect";

// In a `u` regex a well-formed surrogate pair is one code point, so this matches only lone surrogates.
const loneSurrogates = /\p{Cs}/gu;

/**
 * The outermost interceptor: replaces each lone surrogate in the message of
 * an error a call ends with, from any interceptor or handler, unary or
 * streaming, by U+FFFD, as `String.prototype.toWellFormed` does, keeping the
 * code, metadata, details and (as `cause`) the original error.
 *
 * Needed because gRPC and gRPC-Web send the message percent-encoded in
 * `grpc-message`, and connect-es encodes it with `encodeURIComponent`, which
 * throws URIError on a lone surrogate: the call then ends with no status, no
 * trailers and no reset, and the client waits for ever. A message can hold
 * one when it quotes text that never passed a UTF-8 check, such as a
 * provider's error. Request messages are checked before connect parses them
 * (the request message guard and the strict JSON decoder), so their errors,
 * which come before any interceptor, are valid text already.
 */
export const wellFormedErrorMessages: Interceptor = (next) => async (req) => {
  try {
    const res = await next(req);
    return res.stream ? { ...res, message: wellFormedStream(res.message) } : res;
  } catch (err) {
    throw withWellFormedMessage(err);
  }
};

async function* wellFormedStream<T>(messages: AsyncIterable<T>): AsyncGenerator<T> {
  try {
    yield* messages;
  } catch (err) {
    throw withWellFormedMessage(err);
  }
}

/** `err`, or a copy with a well-formed message when it is a ConnectError whose message is not. */
function withWellFormedMessage(err: unknown): unknown {
  if (!(err instanceof ConnectError)) {
    // connect answers it as "internal error", its own text.
    return err;
  }
  const message = err.rawMessage.replace(loneSurrogates, "\uFFFD");
  if (message === err.rawMessage) {
    return err;
  }
  const copy = new ConnectError(message, err.code, err.metadata, undefined, err);
  copy.details = err.details;
  return copy;
}
