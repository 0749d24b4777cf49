import { durationMs } from "@bufbuild/protobuf/wkt";
import { ToolCallStatus, ToolCallStatusSchema } from "../../../gen/agent/v1/run_pb.js";
import { enumJson } from "../enum-json.js";
import { formatCost, formatDuration, formatTokens, prettyJson, toolStatusWords } from "../format.js";
import type { ModelTurnItem, RestartItem, Timeline, ToolCallItem } from "../timeline.js";
import { Fact } from "./fact.js";
import { RedactedText } from "./redacted-text.js";

/** A run's steps in order: model turns, tool calls, restart markers. */
export function TimelineList({ timeline, live }: { readonly timeline: Timeline; readonly live: boolean }) {
  if (timeline.items.length === 0) {
    return <p class="empty">{live ? "Waiting for the first step…" : "This run has no steps."}</p>;
  }
  return (
    <ol class="timeline" aria-label="Timeline">
      {timeline.items.map((item) => {
        switch (item.kind) {
          case "model":
            return <ModelTurn key={item.key} item={item} />;
          case "tool":
            return <ToolCallStep key={item.key} item={item} />;
          case "restart":
            return <Restart key={item.key} item={item} />;
        }
      })}
    </ol>
  );
}

function ModelTurn({ item }: { readonly item: ModelTurnItem }) {
  const { call } = item;
  return (
    <li class="step step-model" aria-busy={call === undefined}>
      <div class="step-head">
        <span class="step-kind">{`Model turn ${item.iteration}`}</span>
        {call !== undefined && <span class="step-model-name">{call.model}</span>}
        {call === undefined && <span class="tag tag-live">generating</span>}
        {call?.fallback === true && <span class="tag tag-fallback">fallback</span>}
        {call?.cached === true && <span class="tag">cached</span>}
      </div>
      {call !== undefined && (
        <dl class="facts">
          <Fact label="Attempt">{call.cached ? "cache" : String(call.attempt)}</Fact>
          <Fact label="Latency">{call.duration === undefined ? "—" : formatDuration(durationMs(call.duration))}</Fact>
          <Fact label="Tokens">
            {`${formatTokens(call.usage?.inputTokens ?? 0)} in / ${formatTokens(call.usage?.outputTokens ?? 0)} out`}
          </Fact>
          <Fact label="Cost">{formatCost(call.costUsd)}</Fact>
          <Fact label="Finish reason">{call.finishReason === "" ? "—" : call.finishReason}</Fact>
        </dl>
      )}
      {item.text !== "" && (
        <pre class="text">
          <RedactedText text={item.text} />
        </pre>
      )}
      {call !== undefined && call.outputErrors.length > 0 && (
        <div class="output-errors">
          <p>The answer did not match the output schema:</p>
          <ul>
            {call.outputErrors.map((line) => (
              <li key={line}>{line}</li>
            ))}
          </ul>
        </div>
      )}
    </li>
  );
}

const toolStatusClass = (status: ToolCallStatus | undefined): string =>
  status === undefined ? "status-running" : status === ToolCallStatus.OK ? "status-completed" : "status-failed";

function ToolCallStep({ item }: { readonly item: ToolCallItem }) {
  const { call } = item;
  return (
    <li class="step step-tool" aria-busy={call === undefined}>
      <div class="step-head">
        <span class="step-kind">{`Tool call ${item.name}`}</span>
        <span class={`status ${toolStatusClass(call?.status)}`}>{call === undefined ? "Running" : toolStatusWords(enumJson(ToolCallStatusSchema, call.status))}</span>
        {call?.duration !== undefined && <span class="step-duration">{formatDuration(durationMs(call.duration))}</span>}
      </div>
      {call !== undefined && call.injectionRules.length > 0 && (
        <p class="flag">{`flagged by screening: ${call.injectionRules.join(", ")}`}</p>
      )}
      <div class="io">
        <div>
          <h3>Arguments</h3>
          <pre class="code">{prettyJson(item.arguments)}</pre>
        </div>
        <div>
          <h3>Result</h3>
          {call === undefined ? (
            <p class="muted">Waiting for the tool…</p>
          ) : (
            <pre class="code">
              <RedactedText text={prettyJson(call.result)} />
            </pre>
          )}
        </div>
      </div>
    </li>
  );
}

function Restart({ item }: { readonly item: RestartItem }) {
  return (
    <li class="step step-restart">
      <div class="step-head">
        <span class="step-kind">{`Restart in turn ${item.iteration}`}</span>
        <span class="tag tag-fallback">restart</span>
      </div>
      <p>{`${item.failedModel} failed mid-answer (${item.reason}); ${item.nextModel} takes over and the turn starts again.`}</p>
      {item.discardedText !== "" && (
        <details>
          <summary>Discarded text</summary>
          <pre class="text discarded"><RedactedText text={item.discardedText} /></pre>
        </details>
      )}
    </li>
  );
}
