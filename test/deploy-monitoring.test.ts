import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { createAgentClient } from "../client/index.js";
import { testRedisAddress, viaProxy } from "../server/model/cache/testing/test-redis.js";
import { createTestDatabase, viaPort, type TestDatabase } from "./support/postgres.js";
import { promqlSelectors } from "./support/promql-selectors.js";
import { projectRoot } from "./support/service-process.js";
import { startTcpProxy, type TcpProxy } from "./support/tcp-proxy.js";
import { startTestService, type TestService } from "./support/test-service.js";

// The alert rules, the autoscaler's metric and the dashboard, checked against the service itself:
// every series they read is one a running service exports, under that name, with those labels.

const deploy = (path: string) => join(projectRoot, "deploy", path);

interface AlertRule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
const alertRules = (parseYaml(readFileSync(deploy("prometheus/alerts.yaml"), "utf8")) as { groups: { name: string; rules: AlertRule[] }[] }).groups.flatMap(
  (group) => group.rules,
);
const ruleTests = parseYaml(readFileSync(deploy("prometheus/alerts.test.yaml"), "utf8")) as {
  tests: { alert_rule_test: { alertname: string; exp_alerts: unknown[] }[] }[];
};
const hpa = parseYaml(readFileSync(deploy("kubernetes/hpa.yaml"), "utf8")) as {
  spec: { metrics: { type: string; pods?: { metric: { name: string } } }[] };
};
const adapter = parseYaml(readFileSync(deploy("prometheus/adapter-rules.yaml"), "utf8")) as {
  rules: { seriesQuery: string; name: { as: string }; metricsQuery: string }[];
};
interface DashboardPanel {
  type: string;
  title: string;
  targets?: { expr: string }[];
}
const dashboard = JSON.parse(readFileSync(deploy("grafana/dashboard.json"), "utf8")) as {
  panels: DashboardPanel[];
  templating: { list: { type: string; query?: unknown }[] };
};

/** kube-state-metrics' series about the audit verification CronJob: the one signal the service does not export. */
const kubeStateMetrics = new Set(["kube_cronjob_status_last_schedule_time", "kube_cronjob_status_last_successful_time"]);
/** Labels Prometheus adds when it scrapes a pod (Kubernetes service discovery and the target). */
const targetLabels = new Set(["namespace", "pod", "job", "instance"]);

/** Every expression that reads the service's series, with where it comes from. */
function expressions(): { where: string; expr: string }[] {
  return [
    ...alertRules.map((rule) => ({ where: `alert ${rule.alert}`, expr: rule.expr })),
    ...hpa.spec.metrics.flatMap((metric) => (metric.pods === undefined ? [] : [{ where: "the HPA", expr: metric.pods.metric.name }])),
    ...adapter.rules.flatMap((rule) => [
      { where: "the adapter's seriesQuery", expr: rule.seriesQuery },
      { where: "the adapter's metric name", expr: rule.name.as },
    ]),
    ...dashboard.panels.flatMap((panel) => (panel.targets ?? []).map((target) => ({ where: `panel "${panel.title}"`, expr: target.expr }))),
    ...dashboard.templating.list.flatMap((variable) =>
      variable.type === "query" ? [{ where: "a dashboard variable", expr: (variable.query as { query: string }).query }] : [],
    ),
  ];
}

describe("deploy/prometheus/alerts.yaml", () => {
  it("passes promtool check rules and its unit tests (promtool test rules)", () => {
    // promtool comes from Debian's prometheus package; .ci/run installs it when missing.
    const check = execFileSync("promtool", ["check", "rules", "alerts.yaml"], { cwd: deploy("prometheus"), encoding: "utf8" });
    expect(check).toContain(`SUCCESS: ${alertRules.length} rules found`);
    const test = execFileSync("promtool", ["test", "rules", "alerts.test.yaml"], { cwd: deploy("prometheus"), encoding: "utf8" });
    expect(test).toContain("SUCCESS");
  });

  it("fires every alert in a unit test, and gives each a severity, a summary, a description and a runbook", () => {
    const fired = new Set(ruleTests.tests.flatMap((test) => test.alert_rule_test.filter((t) => t.exp_alerts.length > 0).map((t) => t.alertname)));
    expect([...fired].sort()).toEqual(alertRules.map((rule) => rule.alert).sort());
    for (const rule of alertRules) {
      expect(["critical", "warning", "info"], rule.alert).toContain(rule.labels?.["severity"]);
      expect(Object.keys(rule.annotations ?? {}).sort(), rule.alert).toEqual(["description", "runbook", "summary"]);
    }
  });

  it("covers breakers, errors, budgets, queue depth, the cache and the audit chain", () => {
    const read = new Set(alertRules.flatMap((rule) => [...promqlSelectors(rule.expr).metrics]));
    for (const metric of [
      "agent_model_breaker_state",
      "rpc_server_requests_total",
      "agent_run_duration_count",
      "agent_runs_queued",
      "agent_cache_l2_degraded",
      "agent_audit_dropped_total",
      "kube_cronjob_status_last_successful_time",
    ]) {
      expect(read).toContain(metric);
    }
  });
});

describe("the autoscaler's metric", () => {
  it("is the queue depth, named alike in the HPA and the adapter rule", () => {
    const pods = hpa.spec.metrics.filter((metric) => metric.type === "Pods").map((metric) => metric.pods?.metric.name);
    expect(pods).toEqual(["agent_runs_queued"]);
    expect(adapter.rules.map((rule) => rule.name.as)).toEqual(pods);
    expect([...promqlSelectors(adapter.rules[0]?.seriesQuery ?? "").metrics]).toEqual(pods);
  });
});

describe("every series the alerts, the autoscaler and the dashboard read", () => {
  let database: TestDatabase;
  let databaseProxy: TcpProxy;
  let redisProxy: TcpProxy;
  let svc: TestService | undefined;
  /** Metric name → the label names it has, as a running service exports it. */
  const exported = new Map<string, Set<string>>();

  async function scrape(): Promise<string> {
    const res = await fetch(svc?.service.metricsUrl ?? "");
    return res.text();
  }

  /** Resolves once `predicate` holds of a scrape: waits for what the service does in the background. */
  async function untilScraped(predicate: (text: string) => boolean): Promise<string> {
    for (;;) {
      const text = await scrape();
      if (predicate(text)) {
        return text;
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  beforeAll(async () => {
    database = await createTestDatabase("deploy_metrics");
    databaseProxy = await startTcpProxy({ host: database.host, port: database.port });
    redisProxy = await startTcpProxy(testRedisAddress());
    // Both stores behind proxies that the test takes away, so that the series that only exist
    // once something failed (Redis errors, audit and run records dropped) exist too.
    svc = await startTestService({
      DATABASE_URL: viaPort(database.url, databaseProxy.port),
      REDIS_URL: viaProxy(redisProxy.port),
      AGENT_RUN_RECORD_QUEUE: "100",
      AGENT_AUDIT_QUEUE: "100",
    });
    const client = createAgentClient({ baseUrl: svc.url });
    try {
      await untilScraped((text) => /^agent_cache_l2_degraded\{[^}]*\} 0$/m.test(text));
      await client.execute("What is 17 * 23?");
      await client.execute("What is 17 * 23?");
      await client.execute('#call calculator {"no_such_argument": 1}');
      await expect(client.execute("")).rejects.toThrow();
      // One model call fails and is retried: the calls' error_type appears.
      svc.simulator.setFaults([{ kind: "status", status: 503, times: 1 }]);
      await client.execute("What is 23 * 31?");
      svc.simulator.setFaults([]);
      // Redis stops answering: lookups time out (AGENT_CACHE_REDIS_TIMEOUT_MS) and are counted.
      redisProxy.stall();
      await client.execute("What is 19 * 29?");
      await untilScraped((text) => text.includes("agent_cache_l2_errors_total{"));
      // PostgreSQL goes away: appends fail and are retried, and past the queues' 100 entries, dropped.
      databaseProxy.cut();
      for (let batch = 0; batch < 5; batch++) {
        await Promise.all(Array.from({ length: 10 }, (_, index) => client.execute(`What is ${batch} * ${index}?`)));
      }
      const text = await untilScraped(
        (text) =>
          text.includes("agent_audit_dropped_total{") &&
          text.includes("agent_run_store_dropped_total{") &&
          text.includes('agent_audit_writes_total{agent_outcome="error"'),
      );
      for (const line of text.split("\n")) {
        const match = /^([\w:]+)(?:\{(.*)\})? /.exec(line);
        if (match !== null) {
          const labels = exported.get(match[1] ?? "") ?? new Set<string>();
          for (const label of (match[2] ?? "").matchAll(/(\w+)="/g)) {
            labels.add(label[1] ?? "");
          }
          exported.set(match[1] ?? "", labels);
        }
      }
    } finally {
      client.close();
      redisProxy.restore();
      databaseProxy.restore();
    }
  }, 120_000);

  afterAll(async () => {
    await svc?.close();
    await redisProxy.close();
    await databaseProxy.close();
    await database.drop();
  }, 60_000);

  it.each(expressions())("$where: $expr", ({ expr }) => {
    const { metrics, labels } = promqlSelectors(expr);
    expect(metrics.size).toBeGreaterThan(0);
    const own = [...metrics].filter((metric) => !kubeStateMetrics.has(metric));
    for (const metric of own) {
      expect([...exported.keys()], `${metric} is not exported`).toContain(metric);
    }
    if (own.length === metrics.size) {
      const known = new Set([...targetLabels, ...own.flatMap((metric) => [...(exported.get(metric) ?? [])])]);
      for (const label of labels) {
        expect([...known], `label ${label} of ${own.join(", ")}`).toContain(label);
      }
    }
  });
});
