import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { createMetricsProvider, type MetricsProvider } from "./metrics-provider.js";
import { createServiceMetrics, type ServiceMetrics } from "./service-metrics.js";

/** One sample line of the Prometheus text format. */
interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

function parsePrometheusText(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split("\n")) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (match === null) {
      continue;
    }
    const labels: Record<string, string> = {};
    for (const [, key, value] of (match[2] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[key as string] = value as string;
    }
    samples.push({ name: match[1] as string, labels, value: Number(match[3] === "+Inf" ? Infinity : match[3]) });
  }
  return samples;
}

function recordOneOfEach(metrics: ServiceMetrics): void {
  metrics.recordRpc({ method: "agent.v1.AgentService/Execute", code: "ok", durationS: 0.42 });
  metrics.recordRpc({ method: "agent.v1.AgentService/Execute", code: "invalid_argument", durationS: 0.003 });
  metrics.runStarted();
  metrics.runStarted();
  metrics.runFinished({ stopReason: "final_answer", durationS: 3.2 });
  metrics.recordModelCall({ model: "gpt-4o-mini", outcome: "ok", durationS: 1.5, timeToFirstTokenS: 0.3 });
  metrics.recordModelCall({ model: "gpt-4o", outcome: "error", errorType: "503", durationS: 0.2 });
  metrics.recordTokens({ model: "gpt-4o-mini", principal: "billing-service", inputTokens: 120, outputTokens: 30, costUsd: 0.0004 });
  metrics.recordToolCall({ tool: "calculator", outcome: "ok", durationS: 0.002 });
  metrics.recordToolCall({ tool: "calculator", outcome: "timeout", durationS: 5 });
  metrics.recordCacheLookup({ result: "hit", tier: "l2" });
  metrics.recordCacheLookup({ result: "miss" });
  metrics.recordCacheL2Error({ operation: "set" });
  metrics.observeBreakers(() => [
    { model: "gpt-4o", state: "open" },
    { model: "gpt-4o-mini", state: "closed" },
  ]);
  metrics.observeQueued(() => 7);
}

/** Closes `server`, dropping idle keep-alive connections. */
function closeServer(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
  });
}

describe("createMetricsProvider", () => {
  const started: MetricsProvider[] = [];
  const start = async (...args: Parameters<typeof createMetricsProvider>) => {
    const provider = await createMetricsProvider(...args);
    started.push(provider);
    return provider;
  };
  afterEach(async () => {
    await Promise.all(started.splice(0).map((provider) => provider.shutdown()));
  });

  describe("with Prometheus on an ephemeral port", () => {
    it("serves every service metric under its Prometheus name with its labels", async () => {
      const provider = await start({ serviceName: "agent-service", serviceVersion: "1.2.3", prometheus: { port: 0 } });
      expect(provider.prometheusUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
      recordOneOfEach(createServiceMetrics(provider.meter));

      const response = await fetch(provider.prometheusUrl as string);
      expect(response.status).toBe(200);
      const samples = parsePrometheusText(await response.text());
      const find = (name: string, labels: Record<string, string> = {}) =>
        samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));

      expect(find("target_info", { service_name: "agent-service", service_version: "1.2.3" })).toHaveLength(1);
      const rpc = { rpc_system_name: "connectrpc", rpc_method: "agent.v1.AgentService/Execute" };
      expect(find("rpc_server_call_duration_count", { ...rpc, rpc_status_code: "ok" })[0]?.value).toBe(1);
      expect(find("rpc_server_requests_total", { ...rpc, rpc_status_code: "invalid_argument" })[0]?.value).toBe(1);
      expect(find("agent_run_duration_sum", { agent_stop_reason: "final_answer" })[0]?.value).toBe(3.2);
      expect(find("agent_runs_in_flight")[0]?.value).toBe(1);
      expect(find("agent_runs_queued")[0]?.value).toBe(7);
      expect(
        find("gen_ai_client_operation_duration_count", {
          gen_ai_operation_name: "chat",
          gen_ai_request_model: "gpt-4o",
          agent_outcome: "error",
          error_type: "503",
        }),
      ).toHaveLength(1);
      const okModelCalls = find("gen_ai_client_operation_duration_count", { agent_outcome: "ok" });
      expect(okModelCalls).toHaveLength(1);
      expect(okModelCalls[0]?.labels).not.toHaveProperty("error_type");
      expect(find("agent_model_time_to_first_token_sum", { gen_ai_request_model: "gpt-4o-mini" })[0]?.value).toBe(0.3);
      expect(find("gen_ai_client_token_usage_sum", { gen_ai_token_type: "input" })[0]?.value).toBe(120);
      expect(find("agent_tokens_total", { gen_ai_token_type: "output", agent_principal: "billing-service" })[0]?.value).toBe(30);
      expect(find("agent_cost_total", { gen_ai_request_model: "gpt-4o-mini", agent_principal: "billing-service" })[0]?.value).toBe(0.0004);
      expect(find("agent_tool_duration_count", { gen_ai_tool_name: "calculator", agent_outcome: "timeout" })).toHaveLength(1);
      expect(find("agent_tool_errors_total", { gen_ai_tool_name: "calculator", error_type: "timeout" })[0]?.value).toBe(1);
      expect(find("agent_cache_lookups_total", { agent_result: "hit", agent_cache_tier: "l2" })[0]?.value).toBe(1);
      const misses = find("agent_cache_lookups_total", { agent_result: "miss" });
      expect(misses).toHaveLength(1);
      expect(misses[0]?.labels).not.toHaveProperty("agent_cache_tier");
      expect(find("agent_cache_l2_errors_total", { agent_cache_operation: "set" })[0]?.value).toBe(1);
      expect(find("agent_model_breaker_state", { gen_ai_request_model: "gpt-4o" })[0]?.value).toBe(2);
      expect(find("agent_model_breaker_state", { gen_ai_request_model: "gpt-4o-mini" })[0]?.value).toBe(0);
    });

    it("buckets durations from 5 ms to 120 s and tokens from 1 to a million", async () => {
      const provider = await start({ prometheus: { port: 0 } });
      recordOneOfEach(createServiceMetrics(provider.meter));

      const samples = parsePrometheusText(await (await fetch(provider.prometheusUrl as string)).text());
      const bounds = (name: string) => [...new Set(samples.filter((s) => s.name === name).map((s) => s.labels.le))];

      for (const duration of ["rpc_server_call_duration_bucket", "agent_run_duration_bucket", "agent_tool_duration_bucket"]) {
        expect(bounds(duration)).toEqual(expect.arrayContaining(["0.005", "1", "30", "120", "+Inf"]));
      }
      expect(bounds("gen_ai_client_operation_duration_bucket")).toHaveLength(20);
      expect(bounds("gen_ai_client_token_usage_bucket")).toEqual(expect.arrayContaining(["1", "1024", "1048576", "+Inf"]));
    });

    it("answers 404 off its path and serves a configured path", async () => {
      const provider = await start({ prometheus: { port: 0, path: "/internal/metrics" } });
      const url = new URL(provider.prometheusUrl as string);
      expect(url.pathname).toBe("/internal/metrics");

      expect((await fetch(new URL("/metrics", url))).status).toBe(404);
      expect((await fetch(`${url.href}?name[]=agent_runs_queued`)).status).toBe(200);
    });

    it("stops listening on shutdown, so the port refuses connections", async () => {
      const provider = await start({ prometheus: { port: 0 } });
      const url = provider.prometheusUrl as string;
      expect((await fetch(url)).status).toBe(200);

      await provider.shutdown();

      const refused = await fetch(url).then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(refused).toBeInstanceOf(TypeError);
      expect((refused as TypeError).cause).toMatchObject({ code: "ECONNREFUSED" });
    });

    it("rejects when the port is taken", async () => {
      const squatter = http.createServer();
      await new Promise<void>((resolve) => squatter.listen(0, "127.0.0.1", resolve));
      try {
        const { port } = squatter.address() as AddressInfo;
        await expect(createMetricsProvider({ prometheus: { port } })).rejects.toMatchObject({ code: "EADDRINUSE" });
      } finally {
        await closeServer(squatter);
      }
    });
  });

  describe("with OTLP", () => {
    it("pushes Protobuf to the collector's /v1/metrics on forceFlush, with the configured headers", async () => {
      const pushes: { contentType: string | undefined; apiKey: string | undefined; body: Buffer }[] = [];
      const collector = http.createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on("data", (chunk: Buffer) => chunks.push(chunk));
        req.on("end", () => {
          if (req.method === "POST" && req.url === "/v1/metrics") {
            pushes.push({
              contentType: req.headers["content-type"],
              apiKey: req.headers["x-api-key"] as string | undefined,
              body: Buffer.concat(chunks),
            });
          }
          res.writeHead(200, { "content-type": "application/x-protobuf" }).end();
        });
      });
      await new Promise<void>((resolve) => collector.listen(0, "127.0.0.1", resolve));
      try {
        const { port } = collector.address() as AddressInfo;
        const provider = await start({
          otlp: { url: `http://127.0.0.1:${port}/v1/metrics`, headers: { "x-api-key": "secret" } },
        });
        expect(provider.prometheusUrl).toBeUndefined();
        createServiceMetrics(provider.meter).runStarted();

        await provider.forceFlush();

        expect(pushes).toHaveLength(1);
        expect(pushes[0]?.contentType).toBe("application/x-protobuf");
        expect(pushes[0]?.apiKey).toBe("secret");
        // Protobuf strings are plain UTF-8 on the wire.
        expect(pushes[0]?.body.toString("utf8")).toContain("agent.runs.in_flight");
        await provider.shutdown();
      } finally {
        await closeServer(collector);
      }
    });

    it("sends the headers in force at each push when they are given as a function (reread on SIGHUP)", async () => {
      const apiKeys: (string | undefined)[] = [];
      const collector = http.createServer((req, res) => {
        req.resume();
        req.on("end", () => {
          apiKeys.push(req.headers["x-api-key"] as string | undefined);
          res.writeHead(200, { "content-type": "application/x-protobuf" }).end();
        });
      });
      await new Promise<void>((resolve) => collector.listen(0, "127.0.0.1", resolve));
      try {
        const { port } = collector.address() as AddressInfo;
        let headers = { "x-api-key": "before" };
        const provider = await start({ otlp: { url: `http://127.0.0.1:${port}/v1/metrics`, headers: () => headers } });
        const metrics = createServiceMetrics(provider.meter);
        metrics.runStarted();
        await provider.forceFlush();
        headers = { "x-api-key": "after" };
        metrics.runStarted();
        await provider.forceFlush();

        expect(apiKeys).toEqual(["before", "after"]);
        await provider.shutdown();
      } finally {
        await closeServer(collector);
      }
    });
  });

  it("accepts recordings with no reader configured", async () => {
    const provider = await start({});
    const metrics = createServiceMetrics(provider.meter);

    expect(() => recordOneOfEach(metrics)).not.toThrow();
    expect(provider.prometheusUrl).toBeUndefined();
    await expect(provider.forceFlush()).resolves.toBeUndefined();
  });

  it("shuts down once, however often it is asked", async () => {
    const provider = await start({ prometheus: { port: 0 } });

    await Promise.all([provider.shutdown(), provider.shutdown()]);
    await expect(provider.shutdown()).resolves.toBeUndefined();
  });
});
