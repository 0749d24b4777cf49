import { durationMs } from "@bufbuild/protobuf/wkt";
import { useEffect, useState } from "preact/hooks";
import {
  CacheTierState,
  CircuitState,
  McpServerState,
  McpTransport,
  ServingStatus,
  type HealthResponse,
} from "../../../gen/agent/v1/agent_service_pb.js";
import { ExperimentStatus, type GetExperimentResultsResponse } from "../../../gen/agent/v1/prompt_service_pb.js";
import { errorMessage, isAbort, isUnauthenticated, useApi } from "../api.js";
import { ErrorAlert } from "../components/error-alert.js";
import { Fact } from "../components/fact.js";
import { formatBytes, formatCost, formatCount, formatDuration, formatPercent } from "../format.js";
import { useSession } from "../session.js";

/** How often the service page asks again. */
const refreshMs = 5000;

const circuitWords: Readonly<Record<CircuitState, [string, string]>> = {
  [CircuitState.UNSPECIFIED]: ["Unknown", "status-unknown"],
  [CircuitState.CLOSED]: ["Closed", "status-completed"],
  [CircuitState.OPEN]: ["Open", "status-failed"],
  [CircuitState.HALF_OPEN]: ["Half open", "status-running"],
};

const mcpStateWords: Readonly<Record<McpServerState, [string, string]>> = {
  [McpServerState.UNSPECIFIED]: ["Unknown", "status-unknown"],
  [McpServerState.CONNECTING]: ["Connecting", "status-running"],
  [McpServerState.CONNECTED]: ["Connected", "status-completed"],
  [McpServerState.UNAVAILABLE]: ["Unavailable", "status-failed"],
};

const transportWords: Readonly<Record<McpTransport, string>> = {
  [McpTransport.UNSPECIFIED]: "—",
  [McpTransport.STDIO]: "stdio",
  [McpTransport.STREAMABLE_HTTP]: "Streamable HTTP",
};

const l2Words: Readonly<Record<CacheTierState, string>> = {
  [CacheTierState.UNSPECIFIED]: "Unknown",
  [CacheTierState.DISABLED]: "Disabled",
  [CacheTierState.READY]: "Ready",
  [CacheTierState.DEGRADED]: "Degraded: working from memory",
};

/** The service: models and breakers, cache, MCP servers, runs on this replica, running experiments. */
export function ServicePage() {
  const api = useApi();
  const { signedOut } = useSession();
  const [health, setHealth] = useState<HealthResponse | undefined>(undefined);
  const [experiments, setExperiments] = useState<readonly GetExperimentResultsResponse[] | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const [experimentsError, setExperimentsError] = useState<string | undefined>(undefined);

  useEffect(() => {
    const controller = new AbortController();
    const { signal } = controller;
    let timer: ReturnType<typeof setTimeout> | undefined;
    /** A failed part's message, or undefined when the part answered (or the page went away). */
    const failure = (result: PromiseSettledResult<unknown>): string | undefined => {
      if (result.status === "fulfilled" || isAbort(result.reason, signal)) {
        return undefined;
      }
      if (isUnauthenticated(result.reason)) {
        signedOut();
      }
      return errorMessage(result.reason);
    };
    // Health and experiments apart: one failing leaves the other on the page.
    const refresh = async () => {
      const [health, experiments] = await Promise.allSettled([
        api.agent.health({}, { signal }),
        (async () => {
          const listed = await api.prompts.listExperiments({}, { signal });
          const running = listed.experiments.filter((experiment) => experiment.status === ExperimentStatus.RUNNING);
          return Promise.all(
            running.map((experiment) => api.prompts.getExperimentResults({ experimentId: experiment.experimentId }, { signal })),
          );
        })(),
      ]);
      if (signal.aborted) {
        return;
      }
      if (health.status === "fulfilled") {
        setHealth(health.value);
      }
      if (experiments.status === "fulfilled") {
        setExperiments(experiments.value);
      }
      setError(failure(health));
      setExperimentsError(failure(experiments));
      if (!signal.aborted) {
        timer = setTimeout(() => void refresh(), refreshMs);
      }
    };
    void refresh();
    return () => {
      controller.abort();
      clearTimeout(timer);
    };
  }, [api, signedOut]);

  return (
    <>
      <h1>Service</h1>
      <ErrorAlert message={error} />
      {health === undefined ? (
        error === undefined && <p class="loading">Loading the service's health…</p>
      ) : (
        <HealthView health={health} />
      )}
      {(experiments !== undefined || experimentsError !== undefined) && (
        <Experiments results={experiments} error={experimentsError} />
      )}
    </>
  );
}

function HealthView({ health }: { readonly health: HealthResponse }) {
  const serving = health.status === ServingStatus.SERVING;
  const runs = health.runs;
  return (
    <>
      <p class="service-status">
        <span class={`status ${serving ? "status-completed" : "status-failed"}`}>{serving ? "Serving" : "Not serving"}</span>
        {` Version ${health.version}`}
        {health.uptime !== undefined && `, up ${formatDuration(durationMs(health.uptime))}`}
      </p>
      <section class="panel" aria-labelledby="models-heading">
        <h2 id="models-heading">Models</h2>
        <div class="table-scroll">
          <table aria-label="Models">
            <thead>
              <tr>
                <th scope="col">Model</th>
                <th scope="col">Role</th>
                <th scope="col">Breaker</th>
                <th scope="col" class="num">Calls (last minute)</th>
                <th scope="col" class="num">Error rate</th>
                <th scope="col">Last error</th>
              </tr>
            </thead>
            <tbody>
              {health.models.map((model) => {
                const [word, tone] = circuitWords[model.circuitState];
                return (
                  <tr key={model.name}>
                    <td class="name">{model.name}</td>
                    <td>{model.position === 0 ? "Primary" : `Fallback ${model.position}`}</td>
                    <td>
                      <span class={`status ${tone}`}>{word}</span>
                    </td>
                    <td class="num">{formatCount(model.recentCalls)}</td>
                    <td class="num">{model.recentCalls === 0 ? "—" : formatPercent(model.recentErrorRate)}</td>
                    <td>{model.lastError === "" ? "—" : model.lastError}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      </section>
      <section class="panel" aria-labelledby="cache-heading">
        <h2 id="cache-heading">Cache</h2>
        <dl class="summary">
          <Fact label="In memory (L1)" numeric>{`${formatCount(health.cache?.l1Entries ?? 0)} entries, ${formatBytes(health.cache?.l1Bytes ?? 0n)}`}</Fact>
          <Fact label="Shared (L2, Redis)">{l2Words[health.cache?.l2State ?? CacheTierState.UNSPECIFIED]}</Fact>
        </dl>
      </section>
      <section class="panel" aria-labelledby="mcp-heading">
        <h2 id="mcp-heading">MCP servers</h2>
        {health.mcpServers.length === 0 ? (
          <p>No MCP servers configured.</p>
        ) : (
          <div class="table-scroll">
            <table aria-label="MCP servers">
              <thead>
                <tr>
                  <th scope="col">Server</th>
                  <th scope="col">Transport</th>
                  <th scope="col">State</th>
                  <th scope="col" class="num">Tools</th>
                  <th scope="col">Last error</th>
                </tr>
              </thead>
              <tbody>
                {health.mcpServers.map((server) => {
                  const [word, tone] = mcpStateWords[server.state];
                  return (
                    <tr key={server.name}>
                      <td class="name">{server.name}</td>
                      <td>{transportWords[server.transport]}</td>
                      <td>
                        <span class={`status ${tone}`}>{word}</span>
                      </td>
                      <td class="num">{formatCount(server.toolCount)}</td>
                      <td>{server.lastError === "" ? "—" : server.lastError}</td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        )}
      </section>
      <section class="panel" aria-labelledby="replica-heading">
        <h2 id="replica-heading">Runs on this replica</h2>
        <dl class="summary">
          <Fact label="In flight" numeric>{`${formatCount(runs?.inFlight ?? 0)} of ${formatCount(runs?.maxConcurrent ?? 0)}`}</Fact>
          <Fact label="Queued" numeric>{`${formatCount(runs?.queued ?? 0)} of ${formatCount(runs?.maxQueued ?? 0)}`}</Fact>
        </dl>
      </section>
    </>
  );
}

function Experiments(props: { readonly results: readonly GetExperimentResultsResponse[] | undefined; readonly error: string | undefined }) {
  const results = props.results ?? [];
  return (
    <section class="panel" aria-labelledby="experiments-heading">
      <h2 id="experiments-heading">Experiments</h2>
      <ErrorAlert message={props.error} />
      {props.results === undefined ? null : results.length === 0 ? (
        <p>No running experiments.</p>
      ) : (
        results.map((result) => <ExperimentResults key={result.experiment?.experimentId} result={result} />)
      )}
    </section>
  );
}

function ExperimentResults({ result }: { readonly result: GetExperimentResultsResponse }) {
  const experiment = result.experiment;
  const name = `${experiment?.prompt ?? ""} (${experiment?.experimentId ?? ""})`;
  return (
    <div class="experiment">
      <h3>{`Prompt ${name}`}</h3>
      {experiment?.note !== undefined && experiment.note !== "" && <p>{experiment.note}</p>}
      <div class="table-scroll">
        <table aria-label={`Results of ${name}`}>
          <thead>
            <tr>
              <th scope="col">Arm</th>
              <th scope="col">Version</th>
              <th scope="col" class="num">Runs</th>
              <th scope="col" class="num">Success rate</th>
              <th scope="col" class="num">Mean latency</th>
              <th scope="col" class="num">p95 latency</th>
              <th scope="col" class="num">Cost per run</th>
              <th scope="col" class="num">Feedback</th>
            </tr>
          </thead>
          <tbody>
            {result.arms.map((arm) => (
              <tr key={arm.arm}>
                <th scope="row">{arm.arm}</th>
                <td>
                  <code>{arm.version}</code>
                </td>
                <td class="num">{formatCount(arm.runs)}</td>
                <td class="num">{arm.runs === 0n ? "—" : formatPercent(arm.successRate)}</td>
                <td class="num">{arm.runs === 0n || arm.meanLatency === undefined ? "—" : formatDuration(durationMs(arm.meanLatency))}</td>
                <td class="num">{arm.runs === 0n || arm.p95Latency === undefined ? "—" : formatDuration(durationMs(arm.p95Latency))}</td>
                <td class="num">{arm.runs === 0n ? "—" : formatCost(arm.costPerRunUsd)}</td>
                <td class="num">{arm.feedbackCount === 0n ? "—" : `${arm.meanFeedback.toFixed(2)} (${formatCount(arm.feedbackCount)})`}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {result.comparisons.map((comparison) => (
        <p class="significance" key={comparison.arm}>
          {comparison.statement}
        </p>
      ))}
      <p class="muted">{`Tests at ${formatPercent(result.confidence)} confidence; an arm needs ${formatCount(result.minRunsPerArm)} runs before it is tested.`}</p>
    </div>
  );
}
