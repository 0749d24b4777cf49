import { useEffect, useLayoutEffect, useMemo, useRef, useState } from "preact/hooks";
import type { ListRunsResponseJson } from "../../../gen/agent/v1/run_service_pb.js";
import { listRuns } from "../call-json.js";
import { ErrorAlert } from "../components/error-alert.js";
import { RunStatusBadge } from "../components/run-status.js";
import { loadConnectedWhenIdle } from "../connected-loader.js";
import { callFailureHandler } from "../failure.js";
import { mergeFirstPage } from "../first-page-merge.js";
import { formatCost, formatDuration, formatTime, formatTokens, stopReasonWords } from "../format.js";
import { basePath, navigate, runPath } from "../router.js";
import { filtersFromQuery, listRunsRequest, queryOfFilters, runsPageSize, statusChoices, type RunFilters } from "../run-filters.js";
import { listedRun, type ListedRun } from "../run-json.js";
import { useSession } from "../session.js";

const pageSize = runsPageSize;
/** How often the first page is asked for again, for new runs and runs that ended. */
const pollMs = 2000;

/** The runs of a page of the list. */
const listedRuns = (page: ListRunsResponseJson): ListedRun[] => (page.runs ?? []).map(listedRun);

/**
 * The runs list: filters mirrored in the query string, newest first, new runs on top as they
 * start. It calls `ListRuns` with Connect's JSON (`call-json.ts`), so it shows its first page
 * without waiting for the Protobuf runtime, which the other pages load.
 */
export function RunsListPage({ query }: { readonly query: URLSearchParams }) {
  const { token, caller, signedOut, firstPage } = useSession();
  const queryKey = query.toString();
  const filters = useMemo(() => filtersFromQuery(new URLSearchParams(queryKey)), [queryKey]);
  const [runs, setRunsState] = useState<readonly ListedRun[] | undefined>(undefined);
  // The rows shown, for the poll's merge and "Load more", which build on them.
  const shown = useRef<readonly ListedRun[] | undefined>(undefined);
  const setRuns = (next: readonly ListedRun[] | undefined) => {
    shown.current = next;
    setRunsState(next);
  };
  const [nextPageToken, setNextPageToken] = useState("");
  const [newRuns, setNewRuns] = useState<ReadonlySet<string>>(new Set());
  const [error, setError] = useState<string | undefined>(undefined);
  const [loadingMore, setLoadingMore] = useState(false);
  const pageController = useRef<AbortController | undefined>(undefined);
  /** Counts the times a poll replaced the list: a "Load more" answer from before one would leave a gap. */
  const listEpoch = useRef(0);

  // A layout effect: the page's first call starts with its first render, not a frame later.
  useLayoutEffect(() => {
    const controller = new AbortController();
    pageController.current = controller;
    const { signal } = controller;
    let timer: ReturnType<typeof setTimeout> | undefined;
    setRuns(undefined);
    setNextPageToken("");
    setNewRuns(new Set());
    setError(undefined);
    const request = listRunsRequest(filters, { isAdmin: caller.isAdmin, pageSize });
    const failed = callFailureHandler(signal, signedOut, setError);
    // Polls wait for the previous answer, so a slow service never has two in flight.
    const poll = async () => {
      try {
        const page = await listRuns(request, { token, signal });
        setError(undefined);
        if (shown.current === undefined) {
          // The first load failed: this page is the first.
          setRuns(listedRuns(page));
          setNextPageToken(page.nextPageToken ?? "");
        } else {
          const merged = mergeFirstPage(shown.current, listedRuns(page));
          setRuns(merged.runs);
          if (merged.replaced) {
            // The list starts again from the newest: "Load more" goes on from this page.
            listEpoch.current += 1;
            setNextPageToken(page.nextPageToken ?? "");
          }
          if (merged.added.length > 0) {
            setNewRuns((seen) => new Set([...seen, ...merged.added]));
          }
        }
      } catch (err) {
        failed(err);
      }
      if (!signal.aborted) {
        timer = setTimeout(() => void poll(), pollMs);
      }
    };
    void (async () => {
      try {
        const page = await (firstPage?.take(queryKey) ?? listRuns(request, { token, signal }));
        if (signal.aborted) {
          return;
        }
        setRuns(listedRuns(page));
        setNextPageToken(page.nextPageToken ?? "");
      } catch (err) {
        failed(err);
      }
      if (!signal.aborted) {
        timer = setTimeout(() => void poll(), pollMs);
        // The first page is shown: now the other pages' script may load, not before.
        loadConnectedWhenIdle();
      }
    })();
    return () => {
      controller.abort();
      clearTimeout(timer);
    };
  }, [token, caller.isAdmin, filters, firstPage, queryKey, signedOut]);

  const loadMore = async () => {
    const signal = pageController.current?.signal;
    setLoadingMore(true);
    const epoch = listEpoch.current;
    try {
      const page = await listRuns(listRunsRequest(filters, { isAdmin: caller.isAdmin, pageSize, pageToken: nextPageToken }), { token, signal });
      if (epoch !== listEpoch.current) {
        // The list was replaced meanwhile: this page followed the old one.
        return;
      }
      const before = shown.current ?? [];
      const ids = new Set(before.map((run) => run.runId));
      setRuns([...before, ...listedRuns(page).filter((run) => !ids.has(run.runId))]);
      setNextPageToken(page.nextPageToken ?? "");
    } catch (err) {
      callFailureHandler(signal, signedOut, setError)(err);
    } finally {
      if (signal?.aborted !== true) {
        setLoadingMore(false);
      }
    }
  };

  return (
    <>
      <h1>Runs</h1>
      <FilterForm filters={filters} showPrincipal={caller.isAdmin} />
      <ErrorAlert message={error} />
      <p class="live-note" aria-live="polite">
        {newRuns.size === 0 ? "" : `${newRuns.size} new ${newRuns.size === 1 ? "run" : "runs"}`}
      </p>
      <div class="table-scroll">
        <table aria-label="Runs" class="runs" aria-busy={runs === undefined}>
          <thead>
            <tr>
              <th scope="col">Run</th>
              <th scope="col">Status</th>
              <th scope="col">Started</th>
              <th scope="col" class="num">Duration</th>
              <th scope="col" class="num">Tokens</th>
              <th scope="col" class="num">Cost</th>
              <th scope="col">Model</th>
              <th scope="col">Prompt</th>
              <th scope="col">Principal</th>
            </tr>
          </thead>
          <tbody>
            {(runs ?? []).map((run) => (
              <RunRow key={run.runId} run={run} isNew={newRuns.has(run.runId)} />
            ))}
          </tbody>
        </table>
      </div>
      {runs === undefined && error === undefined && <p class="loading">Loading runs…</p>}
      {runs !== undefined && runs.length === 0 && <p class="empty">No runs match these filters.</p>}
      {runs !== undefined && nextPageToken !== "" && (
        <button type="button" class="load-more" disabled={loadingMore} onClick={() => void loadMore()}>
          Load more
        </button>
      )}
    </>
  );
}

/** How long a run took, or has taken so far while it runs (the list's poll brings it up to date). */
function runDuration(run: ListedRun): string {
  if (run.startedAtMs === undefined) {
    return "—";
  }
  if (run.endedAtMs === undefined) {
    return run.status === "RUN_STATUS_RUNNING" ? `${formatDuration(Math.max(0, Date.now() - run.startedAtMs))} so far` : "—";
  }
  return formatDuration(run.endedAtMs - run.startedAtMs);
}

function RunRow({ run, isNew }: { readonly run: ListedRun; readonly isNew: boolean }) {
  const started = run.startedAtMs === undefined ? undefined : new Date(run.startedAtMs);
  const why = run.status === "RUN_STATUS_FAILED" ? run.errorCode : stopReasonWords(run.stopReason);
  return (
    <tr class={isNew ? "new-run" : undefined}>
      <td>
        <a class="run-id" href={runPath(run.runId)}>
          {run.runId}
        </a>
      </td>
      <td>
        <RunStatusBadge status={run.status} />
        {why !== "" && <div class="sub">{why}</div>}
      </td>
      <td>{started === undefined ? "—" : <time dateTime={started.toISOString()}>{formatTime(started)}</time>}</td>
      <td class="num">{runDuration(run)}</td>
      <td class="num">{formatTokens(run.totalTokens)}</td>
      <td class="num">{formatCost(run.costUsd)}</td>
      <td>
        {run.model}
        {run.fallbackUsed && <span class="tag tag-fallback">fallback</span>}
      </td>
      <td>
        <PromptCell promptVersion={run.promptVersion} arm={run.experimentArm} />
      </td>
      <td>{run.principal}</td>
    </tr>
  );
}

/** A prompt version as its name, with the version and the experiment arm under it. */
function PromptCell({ promptVersion, arm }: { readonly promptVersion: string; readonly arm: string }) {
  const at = promptVersion.lastIndexOf("@");
  if (promptVersion === "") {
    return <>—</>;
  }
  return (
    <>
      {at <= 0 ? promptVersion : promptVersion.slice(0, at)}
      {at > 0 && <div class="sub prompt-version">{promptVersion.slice(at)}</div>}
      {arm !== "" && <span class="tag tag-arm">{arm}</span>}
    </>
  );
}

const textFilters: readonly { readonly name: keyof RunFilters; readonly label: string; readonly type: "text" | "datetime-local"; readonly hint?: string }[] = [
  { name: "prompt", label: "Prompt", type: "text" },
  { name: "promptVersion", label: "Prompt version", type: "text", hint: "name@version" },
  { name: "model", label: "Model", type: "text" },
  { name: "startedAfter", label: "Started after", type: "datetime-local" },
  { name: "startedBefore", label: "Started before", type: "datetime-local" },
  { name: "inputContains", label: "Input contains", type: "text" },
];

/** The filters; applying them changes the query string, which the list follows. */
function FilterForm({ filters, showPrincipal }: { readonly filters: RunFilters; readonly showPrincipal: boolean }) {
  const [draft, setDraft] = useState(filters);
  useEffect(() => setDraft(filters), [filters]);
  const set = (name: keyof RunFilters) => (event: { currentTarget: HTMLInputElement | HTMLSelectElement }) =>
    setDraft((current) => ({ ...current, [name]: event.currentTarget.value }));
  const apply = (event: Event) => {
    event.preventDefault();
    navigate(`${basePath}${queryOfFilters(showPrincipal ? draft : { ...draft, principal: "" })}`);
  };
  return (
    <form class="filters" aria-label="Filters" onSubmit={apply}>
      <div class="field">
        <label for="filter-status">Status</label>
        <select id="filter-status" value={draft.status} onChange={set("status")}>
          {statusChoices.map((choice) => (
            <option key={choice.value} value={choice.value}>
              {choice.label}
            </option>
          ))}
        </select>
      </div>
      {showPrincipal && (
        <div class="field">
          <label for="filter-principal">Principal</label>
          <input id="filter-principal" type="text" value={draft.principal} onInput={set("principal")} />
        </div>
      )}
      {textFilters.map((filter) => (
        <div class="field" key={filter.name}>
          <label for={`filter-${filter.name}`}>{filter.label}</label>
          {filter.type === "datetime-local" ? (
            <input id={`filter-${filter.name}`} type="datetime-local" value={draft[filter.name]} onInput={set(filter.name)} />
          ) : (
            <input
              id={`filter-${filter.name}`}
              type="text"
              value={draft[filter.name]}
              placeholder={filter.hint}
              maxLength={filter.name === "inputContains" ? 200 : undefined}
              onInput={set(filter.name)}
            />
          )}
        </div>
      ))}
      <div class="field field-action">
        <button type="submit">Apply filters</button>
      </div>
    </form>
  );
}
