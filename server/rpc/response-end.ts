import type { StreamResponse, UnaryResponse } from "@connectrpc/connect";

/**
 * Calls `onEnd` once when an RPC's response is done: at once for a unary
 * response, after the last message of a streamed one. `onEnd` gets the error
 * when the stream failed, and nothing when it ended, including when the
 * caller stopped reading early. Interceptors that time or trace an RPC use it
 * so that a stream counts until its end, not until its first message.
 */
export function whenResponseEnds<T extends UnaryResponse | StreamResponse>(res: T, onEnd: (error?: unknown) => void): T {
  if (!res.stream) {
    onEnd();
    return res;
  }
  const messages = res.message;
  return {
    ...res,
    message: (async function* () {
      let failure: { error: unknown } | undefined;
      try {
        yield* messages;
      } catch (error) {
        failure = { error };
        throw error;
      } finally {
        if (failure === undefined) {
          onEnd();
        } else {
          onEnd(failure.error);
        }
      }
    })(),
  };
}
