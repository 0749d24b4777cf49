import type { ConnectNodeAdapterOptions } from "@connectrpc/connect-node";

/** A Node.js request handler, as connect-node's adapter takes for its fallback. */
type NodeHandlerFn = NonNullable<ConnectNodeAdapterOptions["fallback"]>;

/** Whether the service can take work, and if not, why. */
export interface Readiness {
  readonly ready: boolean;
  /** What keeps it from being ready, for a person reading the probe's answer; empty when ready. */
  readonly reasons: readonly string[];
}

/** Options of {@link withHttpProbes}. */
export interface HttpProbeOptions {
  /** Whether the service is ready now; asked on each `GET /readyz`. */
  readonly readiness: () => Promise<Readiness>;
  /** Longest a readiness check may take; past it the probe answers not ready. Default 1,000 ms. */
  readonly timeoutMs?: number;
}

const json = { "content-type": "application/json", "cache-control": "no-store" };

/**
 * Answers the HTTP probes that load balancers and Kubernetes use, next to
 * the gRPC health check, and hands every other request no route matched to
 * `next`: `GET /healthz` is 200 while the process serves HTTP (liveness);
 * `GET /readyz` is 200 when {@link HttpProbeOptions.readiness} says so and
 * 503 otherwise, with the reasons (readiness). Both answer `HEAD` too, take
 * no credentials (they say nothing a caller could use) and are never traced.
 */
export function withHttpProbes(options: HttpProbeOptions, next: NodeHandlerFn): NodeHandlerFn {
  const timeoutMs = options.timeoutMs ?? 1_000;
  return (req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    const probe = (req.method === "GET" || req.method === "HEAD") && (path === "/healthz" || path === "/readyz") ? path : undefined;
    if (probe === undefined) {
      next(req, res);
      return;
    }
    req.resume();
    const answer = (status: number, body: Record<string, unknown>) => {
      res.writeHead(status, json);
      if (req.method === "HEAD") {
        res.end();
      } else {
        res.end(JSON.stringify(body));
      }
    };
    if (probe === "/healthz") {
      answer(200, { status: "ok" });
      return;
    }
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<Readiness>((resolve) => {
      timer = setTimeout(() => resolve({ ready: false, reasons: [`the readiness check took longer than ${timeoutMs} ms`] }), timeoutMs);
    });
    void Promise.race([options.readiness().catch((err: unknown) => ({ ready: false, reasons: [String(err)] })), timedOut]).then((readiness) => {
      clearTimeout(timer);
      answer(readiness.ready ? 200 : 503, readiness.ready ? { status: "ready" } : { status: "not ready", reasons: readiness.reasons });
    });
  };
}
