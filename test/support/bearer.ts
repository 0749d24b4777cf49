import type { Interceptor } from "@connectrpc/connect";

/** Sends `Authorization: Bearer <key>` on every call, for the generated clients of services the SDK does not wrap. */
export function bearer(key: string): Interceptor {
  return (next) => (req) => {
    req.header.set("authorization", `Bearer ${key}`);
    return next(req);
  };
}
