import { once } from "node:events";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { promisify } from "node:util";
import { gunzip } from "node:zlib";
import { loadOtlpTraceSchema, type DecodedExportTraceRequest } from "./otlp-trace-schema.js";
import { toReceivedSpans, type ReceivedSpan } from "./received-span.js";
import { describeSpanNames } from "./span-queries.js";

const gunzipAsync = promisify(gunzip);

/** The OTLP signals the receiver answers; only traces are decoded. */
export type OtlpSignal = "traces" | "metrics" | "logs";

/** An OTLP/HTTP endpoint inside the test process that records the spans exported to it. */
export interface OtlpReceiver {
  /**
   * Base URL, such as `http://127.0.0.1:43127`. The trace exporter's endpoint
   * is `url + "/v1/traces"`; as `OTEL_EXPORTER_OTLP_ENDPOINT` it is `url`.
   */
  readonly url: string;
  /** Every span received so far, in arrival order (a copy). */
  spans(): ReceivedSpan[];
  /**
   * How many export requests for `signal` were accepted (default `"traces"`).
   * Rejected requests are not counted.
   */
  requests(signal?: OtlpSignal): number;
  /**
   * Resolves with all spans received once `predicate` holds for them; checks
   * what already arrived first, then again after each accepted export.
   * Rejects when the predicate throws, when the receiver closes, or after
   * `timeoutMs` (default 10 000) with a message listing the span names seen.
   */
  waitForSpans(predicate: (spans: ReceivedSpan[]) => boolean, timeoutMs?: number): Promise<ReceivedSpan[]>;
  /** The spans of one trace, in arrival order; `traceId` in hex, any case. */
  trace(traceId: string): ReceivedSpan[];
  /** Forgets the spans and request counts received so far; pending waits continue. */
  clear(): void;
  /** Stops listening, drops open connections and rejects pending waits. Safe to call twice. */
  close(): Promise<void>;
}

/** A pending `waitForSpans`. */
interface SpanWaiter {
  readonly predicate: (spans: ReceivedSpan[]) => boolean;
  readonly resolve: (spans: ReceivedSpan[]) => void;
  readonly reject: (error: unknown) => void;
  readonly timer: NodeJS.Timeout;
}

/** A request the receiver turns down, with the status and the reason it answers. */
class RejectedRequest extends Error {
  constructor(
    readonly status: 400 | 404 | 405 | 415,
    message: string,
  ) {
    super(message);
  }
}

const signalPaths: ReadonlyMap<string, OtlpSignal> = new Map([
  ["/v1/traces", "traces"],
  ["/v1/metrics", "metrics"],
  ["/v1/logs", "logs"],
]);

const defaultTimeoutMs = 10_000;

/**
 * Starts an OTLP/HTTP receiver on an ephemeral loopback port.
 *
 * `POST /v1/traces` takes `application/x-protobuf` bodies, plain or with
 * `content-encoding: gzip`, decodes them and answers 200 with an empty
 * `ExportTraceServiceResponse`; another content type or encoding gets 415 and
 * a body that does not decode gets 400, each with a plain-text reason.
 * `POST /v1/metrics` and `/v1/logs` are answered 200 and only counted, so an
 * SDK that exports every signal runs without errors.
 */
export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const schema = loadOtlpTraceSchema();
  const emptyResponse = schema.encodeExportResponse();
  let received: ReceivedSpan[] = [];
  const counts = new Map<OtlpSignal, number>();
  const waiters = new Set<SpanWaiter>();

  function settle(waiter: SpanWaiter): void {
    const snapshot = received.slice();
    let met: boolean;
    try {
      met = waiter.predicate(snapshot);
    } catch (error) {
      finish(waiter);
      waiter.reject(error);
      return;
    }
    if (met) {
      finish(waiter);
      waiter.resolve(snapshot);
    }
  }

  function finish(waiter: SpanWaiter): void {
    clearTimeout(waiter.timer);
    waiters.delete(waiter);
  }

  async function accept(request: IncomingMessage): Promise<void> {
    const { pathname } = new URL(request.url ?? "/", "http://receiver");
    const signal = signalPaths.get(pathname);
    if (signal === undefined) {
      throw new RejectedRequest(404, `no OTLP endpoint at ${pathname}; expected /v1/traces, /v1/metrics or /v1/logs`);
    }
    if (request.method !== "POST") {
      throw new RejectedRequest(405, `${pathname} accepts POST only, not ${request.method ?? "no method"}`);
    }
    const body = await readBody(request);
    if (signal !== "traces") {
      count(signal);
      return;
    }
    received.push(...toReceivedSpans(await decodeTraceExport(request, body)));
    count(signal);
    for (const waiter of waiters) {
      settle(waiter);
    }
  }

  function count(signal: OtlpSignal): void {
    counts.set(signal, (counts.get(signal) ?? 0) + 1);
  }

  async function decodeTraceExport(request: IncomingMessage, body: Buffer): Promise<DecodedExportTraceRequest> {
    const contentType = request.headers["content-type"] ?? "";
    if (mediaType(contentType) !== "application/x-protobuf") {
      throw new RejectedRequest(
        415,
        `content-type must be application/x-protobuf, not ${contentType === "" ? "missing" : `"${contentType}"`}; OTLP/JSON is not supported`,
      );
    }
    const encoding = (request.headers["content-encoding"] ?? "identity").trim().toLowerCase();
    if (encoding !== "identity" && encoding !== "gzip") {
      throw new RejectedRequest(415, `content-encoding must be gzip or absent, not "${encoding}"`);
    }
    let bytes: Uint8Array = body;
    if (encoding === "gzip") {
      try {
        bytes = await gunzipAsync(body);
      } catch (error) {
        throw new RejectedRequest(400, `content-encoding is gzip but the body does not gunzip: ${messageOf(error)}`);
      }
    }
    try {
      return schema.decodeExportRequest(bytes);
    } catch (error) {
      throw new RejectedRequest(400, `body is not an ExportTraceServiceRequest: ${messageOf(error)}`);
    }
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    try {
      await accept(request);
      response.writeHead(200, { "content-type": "application/x-protobuf", "content-length": emptyResponse.byteLength });
      response.end(emptyResponse);
    } catch (error) {
      // Anything else is an upload cut short or a bug here; say which in a 500.
      const status = error instanceof RejectedRequest ? error.status : 500;
      const headers: Record<string, string> = { "content-type": "text/plain; charset=utf-8" };
      if (status === 405) {
        headers["allow"] = "POST";
      }
      response.writeHead(status, headers);
      response.end(messageOf(error));
    }
  }

  const server = createServer((request, response) => void handle(request, response));
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const address = server.address();
  if (address === null || typeof address === "string") {
    throw new Error(`OTLP receiver is not listening on a TCP port: ${String(address)}`);
  }

  let closed: Promise<void> | undefined;

  return {
    url: `http://127.0.0.1:${address.port}`,
    spans: () => received.slice(),
    requests: (signal = "traces") => counts.get(signal) ?? 0,
    trace(traceId) {
      const wanted = traceId.toLowerCase();
      return received.filter((span) => span.traceId === wanted);
    },
    waitForSpans(predicate, timeoutMs = defaultTimeoutMs) {
      return new Promise<ReceivedSpan[]>((resolve, reject) => {
        const waiter: SpanWaiter = {
          predicate,
          resolve,
          reject,
          timer: setTimeout(() => {
            finish(waiter);
            reject(
              new Error(
                `waitForSpans timed out after ${timeoutMs} ms; received ${describeSpanNames(received)} ` +
                  `in ${counts.get("traces") ?? 0} trace export request(s)`,
              ),
            );
          }, timeoutMs),
        };
        waiters.add(waiter);
        settle(waiter);
      });
    },
    clear() {
      received = [];
      counts.clear();
    },
    close() {
      closed ??= new Promise<void>((resolve, reject) => {
        for (const waiter of waiters) {
          finish(waiter);
          waiter.reject(new Error(`OTLP receiver closed while waiting for spans; received ${describeSpanNames(received)}`));
        }
        server.close((error) => (error === undefined ? resolve() : reject(error)));
        // Exporters keep connections alive; without this, close waits for them to idle out.
        server.closeAllConnections();
      });
      return closed;
    },
  };
}

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) {
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** `type/subtype` of a content-type header, lower case, without parameters. */
function mediaType(contentType: string): string {
  return (contentType.split(";")[0] ?? "").trim().toLowerCase();
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
