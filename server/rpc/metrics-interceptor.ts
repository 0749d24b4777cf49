import { ConnectError, type Interceptor } from "@connectrpc/connect";
import { codeToString } from "@connectrpc/connect/protocol-connect";
import type { RpcStatusCode } from "../telemetry/service-metric-events.js";
import type { ServiceMetrics } from "../telemetry/service-metrics.js";
import { whenResponseEnds } from "./response-end.js";

/**
 * Records every RPC's duration and outcome: method and Connect code name
 * (`ok` on success). A stream counts until its last message is sent.
 */
export function createMetricsInterceptor(metrics: ServiceMetrics, clock: () => number = () => performance.now()): Interceptor {
  return (next) => async (req) => {
    const started = clock();
    const method = `${req.service.typeName}/${req.method.name}`;
    const record = (err?: unknown) =>
      metrics.recordRpc({
        method,
        // codeToString yields exactly the Connect code names RpcStatusCode lists.
        code: err === undefined ? "ok" : (codeToString(ConnectError.from(err).code) as RpcStatusCode),
        durationS: (clock() - started) / 1000,
      });
    let res;
    try {
      res = await next(req);
    } catch (err) {
      record(err);
      throw err;
    }
    return whenResponseEnds(res, record);
  };
}
