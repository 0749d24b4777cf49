import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { createTracing, type Tracing } from "./tracing.js";

// OTLP exports carry the configured headers; given as a function (OTEL_EXPORTER_OTLP_HEADERS
// reread on SIGHUP), each export carries the headers in force when it is sent.

let collector: http.Server | undefined;
let tracing: Tracing | undefined;
afterEach(async () => {
  await tracing?.shutdown();
  await new Promise<void>((resolve) => (collector === undefined ? resolve() : collector.close(() => resolve())));
  tracing = undefined;
  collector = undefined;
});

/** A collector that records the `authorization` header of each trace export. */
async function startCollector(): Promise<{ url: string; authorizations: (string | undefined)[] }> {
  const authorizations: (string | undefined)[] = [];
  collector = http.createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      authorizations.push(req.headers.authorization);
      res.writeHead(200, { "content-type": "application/x-protobuf" }).end();
    });
  });
  await new Promise<void>((resolve) => collector?.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(collector.address() as AddressInfo).port}/v1/traces`, authorizations };
}

describe("createTracing with OTLP", () => {
  it("sends the headers in force at each export when they are given as a function", async () => {
    const { url, authorizations } = await startCollector();
    let headers = { authorization: "Bearer before" };
    tracing = createTracing({ serviceName: "test", serviceVersion: "0", otlpUrl: url, otlpHeaders: () => headers });
    tracing.tracer.startSpan("first").end();
    await tracing.forceFlush();
    headers = { authorization: "Bearer after" };
    tracing.tracer.startSpan("second").end();
    await tracing.forceFlush();

    expect(authorizations).toEqual(["Bearer before", "Bearer after"]);
  });

  it("sends fixed headers as they are", async () => {
    const { url, authorizations } = await startCollector();
    tracing = createTracing({ serviceName: "test", serviceVersion: "0", otlpUrl: url, otlpHeaders: { authorization: "Bearer fixed" } });
    tracing.tracer.startSpan("only").end();
    await tracing.forceFlush();

    expect(authorizations).toEqual(["Bearer fixed"]);
  });
});
