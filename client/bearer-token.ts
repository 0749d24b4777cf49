import type { Transport } from "@connectrpc/connect";
import type { SharedClientOptions } from "./client-options.js";

/**
 * Sends `Authorization: Bearer <token>` on every call of `transport`, asking
 * a token function again each time. Around the transport, not in an
 * interceptor, so that it works on a ready transport too.
 */
export function withBearerToken(transport: Transport, token: NonNullable<SharedClientOptions["token"]>): Transport {
  const headerOf = async (header: ConstructorParameters<typeof Headers>[0]): Promise<Headers> => {
    const value = typeof token === "string" ? token : await token();
    const headers = new Headers(header);
    headers.set("authorization", `Bearer ${value}`);
    return headers;
  };
  return {
    async unary(method, signal, timeoutMs, header, input, contextValues) {
      return transport.unary(method, signal, timeoutMs, await headerOf(header), input, contextValues);
    },
    async stream(method, signal, timeoutMs, header, input, contextValues) {
      return transport.stream(method, signal, timeoutMs, await headerOf(header), input, contextValues);
    },
  };
}
