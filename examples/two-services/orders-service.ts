/**
 * An "orders" service that asks the agent service for help, traced end to
 * end: its own HTTP request span, the SDK's client span, and the agent's
 * spans all land in one trace in Jaeger.
 *
 *   npm start                                              # the agent service, in one terminal
 *   OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318 npx tsx examples/two-services/orders-service.ts
 *   curl 'http://127.0.0.1:8081/summary?sku=SKU-1001'
 *
 * Start the agent service with the same OTEL_EXPORTER_OTLP_ENDPOINT to see both halves.
 */
import { context, propagation, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-proto";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BatchSpanProcessor, TracerProvider } from "@opentelemetry/sdk-trace";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { createAgentClient } from "../../client/index.js";

/** Options of {@link startOrdersService}. */
export interface OrdersServiceOptions {
  /** The agent service, such as http://127.0.0.1:8080. */
  readonly agentUrl: string;
  /** OTLP/HTTP protobuf traces URL, such as http://127.0.0.1:4318/v1/traces. */
  readonly otlpTracesUrl: string;
  /** Port; 0 picks a free one. */
  readonly port: number;
  /** Delay between span exports in milliseconds. Default 1,000. */
  readonly exportDelayMs?: number;
}

/** Starts the orders service; returns its URL and a function that stops it. */
export async function startOrdersService(options: OrdersServiceOptions) {
  // The application's own OpenTelemetry setup, as any traced service has one.
  // The SDK's client span and traceparent header come from these globals.
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ "service.name": "orders-service" }),
    spanProcessors: [
      new BatchSpanProcessor({
        exporter: new OTLPTraceExporter({ url: options.otlpTracesUrl }),
        scheduledDelayMillis: options.exportDelayMs ?? 1_000,
      }),
    ],
  });
  trace.setGlobalTracerProvider(provider);
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  const tracer = trace.getTracer("orders-service");

  const agent = createAgentClient({ baseUrl: options.agentUrl, protocol: "grpc", timeoutMs: 30_000 });

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    const span = tracer.startSpan(`GET ${url.pathname}`, { kind: SpanKind.SERVER, attributes: { "http.request.method": "GET" } });
    // Everything the handler does, the agent call included, runs inside the request's span.
    void context.with(trace.setSpan(context.active(), span), async () => {
      try {
        const sku = url.searchParams.get("sku") ?? "SKU-1001";
        const answer = await agent.execute(`How many ${sku} are in stock?`);
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({ sku, answer: answer.output, traceId: answer.traceId }));
      } catch (err) {
        span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
        res.writeHead(502, { "content-type": "application/json" });
        res.end(JSON.stringify({ error: "the agent service failed" }));
      } finally {
        span.end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(options.port, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    async stop() {
      agent.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await provider.shutdown();
      trace.disable();
      propagation.disable();
      context.disable();
    },
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const endpoint = process.env["OTEL_EXPORTER_OTLP_ENDPOINT"] ?? "http://127.0.0.1:4318";
  const orders = await startOrdersService({
    agentUrl: process.env["AGENT_URL"] ?? "http://127.0.0.1:8080",
    otlpTracesUrl: `${endpoint.replace(/\/+$/, "")}/v1/traces`,
    port: Number(process.env["ORDERS_PORT"] ?? 8081),
  });
  console.log(`orders service on ${orders.url}; try ${orders.url}/summary?sku=SKU-1001`);
  process.once("SIGINT", () => void orders.stop().then(() => process.exit(0)));
}
