import { describe, expect, it } from "vitest";
import { type MetricsProviderOptions, resolveMetricsProviderOptions } from "./metrics-provider-options.js";

describe("resolveMetricsProviderOptions", () => {
  it("fills in the defaults: no readers, Prometheus on loopback at /metrics, OTLP every minute", () => {
    expect(resolveMetricsProviderOptions({})).toEqual({
      serviceName: "agent-service",
      serviceVersion: undefined,
      prometheus: undefined,
      otlp: undefined,
    });
    const resolved = resolveMetricsProviderOptions({ prometheus: {}, otlp: { url: "http://collector:4318/v1/metrics" } });
    expect(resolved).toMatchObject({
      prometheus: { host: "127.0.0.1", port: 0, path: "/metrics" },
      otlp: { url: "http://collector:4318/v1/metrics", intervalMs: 60_000, timeoutMs: 30_000 },
    });
    expect(resolved.otlp?.headers()).toEqual({});
  });

  it("reads headers given as a function at each push, and fixed ones as they are", () => {
    let headers = { "x-api-key": "before" };
    const resolved = resolveMetricsProviderOptions({ otlp: { url: "http://c/v1/metrics", headers: () => headers } });
    expect(resolved.otlp?.headers()).toEqual({ "x-api-key": "before" });
    headers = { "x-api-key": "after" };
    expect(resolved.otlp?.headers()).toEqual({ "x-api-key": "after" });
    expect(resolveMetricsProviderOptions({ otlp: { url: "http://c/v1/metrics", headers: { a: "b" } } }).otlp?.headers()).toEqual({ a: "b" });
  });

  it("keeps the push timeout within a short interval", () => {
    expect(resolveMetricsProviderOptions({ otlp: { url: "http://c/v1/metrics", intervalMs: 5_000 } }).otlp?.timeoutMs).toBe(5_000);
  });

  describe.each<[string, MetricsProviderOptions, RegExp]>([
    ["an empty service name", { serviceName: "" }, /serviceName/],
    ["a port out of range", { prometheus: { port: 70_000 } }, /prometheus\.port/],
    ["a fractional port", { prometheus: { port: 80.5 } }, /prometheus\.port/],
    ["a relative path", { prometheus: { path: "metrics" } }, /prometheus\.path/],
    ["a relative OTLP URL", { otlp: { url: "collector:4318" } }, /otlp\.url/],
    ["a non-HTTP OTLP URL", { otlp: { url: "grpc://collector:4317" } }, /otlp\.url/],
    ["a zero interval", { otlp: { url: "http://c/v1/metrics", intervalMs: 0 } }, /otlp\.intervalMs/],
    ["a timeout longer than the interval", { otlp: { url: "http://c/v1/metrics", intervalMs: 1_000, timeoutMs: 2_000 } }, /otlp\.timeoutMs/],
  ])("with %s", (_case, options, message) => {
    it("fails, naming the option", () => {
      expect(() => resolveMetricsProviderOptions(options)).toThrow(message);
    });
  });
});
