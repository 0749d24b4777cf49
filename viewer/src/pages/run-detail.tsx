import { timestampDate, timestampMs } from "@bufbuild/protobuf/wkt";
import { useLayoutEffect, useRef, useState } from "preact/hooks";
import type { StreamResponse } from "../../../gen/agent/v1/agent_service_pb.js";
import { StopReasonSchema } from "../../../gen/agent/v1/run_pb.js";
import { RunStatus, RunStatusSchema, type Run } from "../../../gen/agent/v1/run_service_pb.js";
import { errorMessage, failureHandler, isAbort, isRetryable, isUnauthenticated, useApi, type Api } from "../api.js";
import { ErrorAlert } from "../components/error-alert.js";
import { enumJson } from "../enum-json.js";
import { Fact } from "../components/fact.js";
import { RedactedText } from "../components/redacted-text.js";
import { RunStatusBadge } from "../components/run-status.js";
import { TimelineList } from "../components/timeline-list.js";
import { formatCost, formatDuration, formatTime, formatTokens, stopReasonWords } from "../format.js";
import { promptPath } from "../router.js";
import { useSession } from "../session.js";
import { emptyTimeline, foldEvent, foldEvents, timelineFromSteps, timelineTotals, type Timeline, type TimelineTotals } from "../timeline.js";

/** A run's record and its events folded. */
interface RunView {
  readonly run: Run;
  readonly timeline: Timeline;
}

/** How long to wait before watching again a run whose stream ended but whose end is not written yet. */
const settleDelayMs = 250;
/** The first and the longest wait before asking again after the service did not answer. */
const retryFirstMs = 250;
const retryMaxMs = 5_000;

/** `GetRun` with every event, page by page (`events_after_seq` while `more_events`). */
async function loadRun(api: Api, runId: string, signal: AbortSignal): Promise<RunView> {
  let timeline = emptyTimeline;
  let afterSeq = 0;
  for (;;) {
    const page = await api.runs.getRun({ runId, includeEvents: true, eventsAfterSeq: afterSeq }, { signal });
    const events: StreamResponse[] = page.events.flatMap((recorded) =>
      recorded.event === undefined ? [] : [recorded.event.seq === 0 ? { ...recorded.event, seq: recorded.seq } : recorded.event],
    );
    timeline = foldEvents(events, timeline);
    const last = page.events.at(-1);
    if (page.run === undefined) {
      throw new Error(`The service sent no record for run ${runId}.`);
    }
    if (!page.moreEvents || last === undefined) {
      // A run recorded without its events still has its steps.
      return { run: page.run, timeline: timeline.items.length === 0 ? timelineFromSteps(page.run.steps) : timeline };
    }
    afterSeq = last.seq;
  }
}

/** Waits `ms`, or until `signal` aborts; leaves no listener behind either way. */
const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });

/** One run: summary, input, output and timeline; a running run follows its events live. */
export function RunDetailPage({ runId }: { readonly runId: string }) {
  const api = useApi();
  const { config, signedOut } = useSession();
  const [view, setView] = useState<RunView | undefined>(undefined);
  const [live, setLive] = useState(false);
  const [error, setError] = useState<string | undefined>(undefined);
  const [canceling, setCanceling] = useState(false);
  const pageSignal = useRef<AbortSignal | undefined>(undefined);

  // A layout effect: the page's first call starts with its first render, not a frame later.
  useLayoutEffect(() => {
    const controller = new AbortController();
    const { signal } = controller;
    pageSignal.current = signal;
    const failed = failureHandler(signal, signedOut, setError);
    /** The record, asked again through an outage of the service (the alert says so meanwhile). */
    const reload = async (): Promise<RunView> => {
      for (let delay = retryFirstMs; ; delay = Math.min(delay * 2, retryMaxMs)) {
        try {
          const fresh = await loadRun(api, runId, signal);
          setError(undefined);
          return fresh;
        } catch (err) {
          if (!isRetryable(err) || signal.aborted) {
            throw err;
          }
          setError(errorMessage(err));
          await sleep(delay, signal);
        }
      }
    };
    void (async () => {
      try {
        // Through an outage too: the alert says the service is unavailable until it answers.
        let loaded = await reload();
        setView(loaded);
        /** Watches in a row that brought no event: each waits longer before the next. */
        let fruitless = 0;
        while (loaded.run.status === RunStatus.RUNNING && !signal.aborted) {
          setLive(true);
          let delivered = false;
          try {
            for await (const answer of api.runs.watchRun({ runId, afterSeq: loaded.timeline.lastSeq }, { signal })) {
              const event = answer.event;
              if (event !== undefined) {
                delivered = true;
                setView((current) => (current === undefined ? current : { ...current, timeline: foldEvent(current.timeline, event) }));
              }
            }
          } catch (err) {
            if (isAbort(err, signal) || isUnauthenticated(err)) {
              throw err;
            }
            // A failed or canceled run ends its watch with the error its caller got, a cut stream
            // with another: the record tells them apart.
          }
          fruitless = delivered ? 0 : fruitless + 1;
          // The record: every event so far, and the final state once the end is written. A run
          // still running is watched again from its last event: after a cut, once the service
          // answers again, and after a stream that ended before the record did, shortly.
          loaded = await reload();
          setView(loaded);
          if (loaded.run.status === RunStatus.RUNNING) {
            await sleep(fruitless === 0 ? settleDelayMs : Math.min(retryFirstMs * 2 ** (fruitless - 1), retryMaxMs), signal);
          }
        }
        setLive(false);
      } catch (err) {
        setLive(false);
        failed(err);
      }
    })();
    return () => controller.abort();
  }, [api, runId, signedOut]);

  const cancel = async () => {
    const signal = pageSignal.current;
    setCanceling(true);
    try {
      const answer = await api.runs.cancelRun({ runId }, { signal });
      const canceled = answer.run;
      if (canceled !== undefined) {
        // The answer has no steps: keep the timeline folded so far.
        setView((current) => (current === undefined ? current : { ...current, run: canceled }));
      }
    } catch (err) {
      failureHandler(signal, signedOut, setError)(err);
    } finally {
      if (signal?.aborted !== true) {
        setCanceling(false);
      }
    }
  };

  const run = view?.run;
  return (
    <>
      <h1>{`Run ${runId}`}</h1>
      <ErrorAlert message={error} />
      {run === undefined ? (
        error === undefined && <p class="loading">Loading the run…</p>
      ) : (
        <>
          {run.status === RunStatus.RUNNING && (
            <div class="actions">
              <button type="button" class="danger" disabled={canceling} onClick={() => void cancel()}>
                Cancel run
              </button>
              {live && <span class="muted">Following the run live.</span>}
            </div>
          )}
          <Summary
            run={run}
            jaegerUrl={config.jaegerUrl}
            {...(run.status === RunStatus.RUNNING && view !== undefined ? { soFar: timelineTotals(view.timeline) } : {})}
          />
          <section class="panel" aria-labelledby="input-heading">
            <h2 id="input-heading">Input</h2>
            <pre class="text">
              <RedactedText text={run.input} />
            </pre>
          </section>
          <section class="panel" aria-labelledby="output-heading">
            <h2 id="output-heading">Output</h2>
            <Output run={run} />
          </section>
          <section class="panel" aria-labelledby="timeline-heading">
            <h2 id="timeline-heading">Timeline</h2>
            <TimelineList timeline={view?.timeline ?? emptyTimeline} live={live} />
          </section>
        </>
      )}
    </>
  );
}

function Output({ run }: { readonly run: Run }) {
  if (run.status === RunStatus.FAILED) {
    return (
      <p class="run-error">
        <strong>{run.errorCode === "" ? "Failed" : run.errorCode}</strong>
        {run.errorMessage === "" ? "" : `: ${run.errorMessage}`}
      </p>
    );
  }
  if (run.output === "") {
    return <p class="muted">{run.status === RunStatus.RUNNING ? "The run is still running." : "The run stopped without a final answer."}</p>;
  }
  return (
    <pre class="text">
      <RedactedText text={run.output} />
    </pre>
  );
}

/** The prompt version as a link to its content, when it names one. */
function PromptVersionLink({ promptVersion }: { readonly promptVersion: string }) {
  const at = promptVersion.lastIndexOf("@");
  if (at <= 0) {
    return <>{promptVersion === "" ? "—" : promptVersion}</>;
  }
  return <a href={promptPath(promptVersion.slice(0, at), promptVersion.slice(at + 1))}>{promptVersion}</a>;
}

/**
 * The run's record. `soFar`, for a running run, stands in for its usage and cost, which the record
 * holds only once the run has ended.
 */
function Summary({ run, jaegerUrl, soFar }: { readonly run: Run; readonly jaegerUrl: string; readonly soFar?: TimelineTotals }) {
  const started = run.startedAt === undefined ? undefined : timestampDate(run.startedAt);
  const ended = run.endedAt === undefined ? undefined : timestampDate(run.endedAt);
  const duration = run.startedAt !== undefined && run.endedAt !== undefined ? timestampMs(run.endedAt) - timestampMs(run.startedAt) : undefined;
  const usage = soFar ?? run.usage;
  const costUsd = soFar?.costUsd ?? run.costUsd;
  const iterations = soFar?.modelTurns ?? run.iterations;
  const stop = stopReasonWords(enumJson(StopReasonSchema, run.stopReason));
  return (
    <section class="panel" aria-labelledby="summary-heading">
      <h2 id="summary-heading">Summary</h2>
      <dl class="summary">
        <Fact label="Status">
          <RunStatusBadge status={enumJson(RunStatusSchema, run.status)} />
        </Fact>
        <Fact label="Stop reason">{stop === "" ? (run.status === RunStatus.FAILED ? run.errorCode : "—") : stop}</Fact>
        <Fact label="Principal">{run.principal}</Fact>
        <Fact label="Thread">{run.threadId === "" ? "—" : run.threadId}</Fact>
        <Fact label="Models">{run.modelsUsed.length === 0 ? run.model : run.modelsUsed.join(", ")}</Fact>
        <Fact label="Fallback">{run.fallbackUsed ? "Yes, a fallback model answered" : "No"}</Fact>
        <Fact label="Prompt version">
          <PromptVersionLink promptVersion={run.promptVersion} />
          {run.experimentArm !== "" && <span class="tag">{`${run.experimentArm} arm`}</span>}
        </Fact>
        {run.experimentId !== "" && <Fact label="Experiment">{run.experimentId}</Fact>}
        <Fact label="Tokens">
          <span class="num">
            {`${formatTokens(usage?.inputTokens ?? 0)} in / ${formatTokens(usage?.outputTokens ?? 0)} out / ${formatTokens(usage?.totalTokens ?? 0)} total`}
          </span>
          {soFar !== undefined && <span class="muted"> so far</span>}
        </Fact>
        <Fact label="Cost">
          <span class="num">{formatCost(costUsd)}</span>
          {soFar !== undefined && <span class="muted"> so far</span>}
        </Fact>
        <Fact label="Model turns">
          <span class="num">{formatTokens(iterations)}</span>
        </Fact>
        <Fact label="Duration">
          <span class="num">{duration === undefined ? "—" : formatDuration(duration)}</span>
        </Fact>
        <Fact label="Started">{started === undefined ? "—" : <time dateTime={started.toISOString()}>{formatTime(started)}</time>}</Fact>
        <Fact label="Ended">{ended === undefined ? "—" : <time dateTime={ended.toISOString()}>{formatTime(ended)}</time>}</Fact>
        <Fact label="Trace">
          {run.traceId === "" ? (
            "—"
          ) : (
            <div class="trace">
              <code class="trace-id">{run.traceId}</code>
              {jaegerUrl !== "" && (
                <a href={`${jaegerUrl.replace(/\/+$/, "")}/trace/${run.traceId}`} rel="noreferrer">
                  Open trace in Jaeger
                </a>
              )}
              <code class="command">{`npm run trace:export -- ${run.traceId}`}</code>
            </div>
          )}
        </Fact>
      </dl>
    </section>
  );
}

