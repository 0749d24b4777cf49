/**
 * Folds a run's stream events into the items of its timeline: model turns, tool calls and restart
 * markers, in the order they happened. One fold serves a finished run's stored events
 * (`GetRun(include_events)`) and a live run's (`WatchRun`), so both read the same. Pure: every
 * event gives a new state, the old one untouched, which is what the pages re-render from.
 */
import type { ExecuteResponse, StreamResponse } from "../../gen/agent/v1/agent_service_pb.js";
import type { ModelCall, RunStarted, Step, ToolCall } from "../../gen/agent/v1/run_pb.js";

/** A model turn: streaming (`call` unset) or finished. */
export interface ModelTurnItem {
  readonly kind: "model";
  readonly key: string;
  readonly iteration: number;
  /** The text so far while streaming; the turn's text once finished. */
  readonly text: string;
  readonly call?: ModelCall;
}

/** A tool call: started (`call` unset) or finished. */
export interface ToolCallItem {
  readonly kind: "tool";
  readonly key: string;
  readonly iteration: number;
  readonly callId: string;
  readonly name: string;
  /** Arguments as the model sent them (JSON text). */
  readonly arguments: string;
  readonly call?: ToolCall;
}

/** A model failed mid-turn and another took over: the text it had streamed is void. */
export interface RestartItem {
  readonly kind: "restart";
  readonly key: string;
  readonly iteration: number;
  readonly failedModel: string;
  readonly nextModel: string;
  readonly reason: string;
  /** What the failed model had streamed of the turn, discarded. */
  readonly discardedText: string;
}

/** One entry of a run's timeline. */
export type TimelineItem = ModelTurnItem | ToolCallItem | RestartItem;

/** A run's events folded so far. */
export interface Timeline {
  readonly items: readonly TimelineItem[];
  /** The seq of the last event folded; 0 before the first. */
  readonly lastSeq: number;
  readonly started?: RunStarted;
  /** The run's summary, once its stream sent run_completed. */
  readonly completed?: ExecuteResponse;
  /** Keys handed out so far, for the next item's. */
  readonly keys: number;
}

/** The timeline before any event. */
export const emptyTimeline: Timeline = { items: [], lastSeq: 0, keys: 0 };

/** Index of the last item matching `test`, or -1. */
function lastIndex(items: readonly TimelineItem[], test: (item: TimelineItem) => boolean): number {
  for (let index = items.length - 1; index >= 0; index -= 1) {
    const item = items[index];
    if (item !== undefined && test(item)) {
      return index;
    }
  }
  return -1;
}

const isStreamingTurn = (iteration: number) => (item: TimelineItem): boolean =>
  item.kind === "model" && item.iteration === iteration && item.call === undefined;

function replaced(items: readonly TimelineItem[], index: number, item: TimelineItem): TimelineItem[] {
  const next = [...items];
  next[index] = item;
  return next;
}

/** An item before it has its key (an `Omit` that keeps the union apart). */
type NewItem = TimelineItem extends infer Item ? (Item extends TimelineItem ? Omit<Item, "key"> : never) : never;

function appended(timeline: Timeline, item: NewItem): Timeline {
  const key = `step-${timeline.keys + 1}`;
  return { ...timeline, items: [...timeline.items, { ...item, key } as TimelineItem], keys: timeline.keys + 1 };
}

/**
 * The timeline with one more event. An event whose seq is not after the last one folded is
 * ignored, so a watch that replays what a `GetRun` already returned changes nothing.
 */
export function foldEvent(timeline: Timeline, event: StreamResponse): Timeline {
  if (event.seq !== 0 && event.seq <= timeline.lastSeq) {
    return timeline;
  }
  const next: Timeline = { ...timeline, lastSeq: event.seq === 0 ? timeline.lastSeq : event.seq };
  const { items } = next;
  switch (event.event.case) {
    case "runStarted":
      return { ...next, started: event.event.value };
    case "textDelta": {
      const { iteration, text } = event.event.value;
      const index = lastIndex(items, isStreamingTurn(iteration));
      const current = items[index];
      if (current?.kind === "model") {
        return { ...next, items: replaced(items, index, { ...current, text: current.text + text }) };
      }
      return appended(next, { kind: "model", iteration, text });
    }
    case "modelCallFinished": {
      const { iteration, call } = event.event.value;
      const index = lastIndex(items, isStreamingTurn(iteration));
      const current = items[index];
      // The finished turn's own text is what left the service; the deltas were a preview of it.
      const text = call?.text ?? (current?.kind === "model" ? current.text : "");
      if (current?.kind === "model") {
        return { ...next, items: replaced(items, index, { ...current, text, ...(call === undefined ? {} : { call }) }) };
      }
      return appended(next, { kind: "model", iteration, text, ...(call === undefined ? {} : { call }) });
    }
    case "toolCallStarted": {
      const { iteration, callId, name, arguments: args } = event.event.value;
      return appended(next, { kind: "tool", iteration, callId, name, arguments: args });
    }
    case "toolCallFinished": {
      const { iteration, call } = event.event.value;
      if (call === undefined) {
        return next;
      }
      const index = lastIndex(items, (item) => item.kind === "tool" && item.callId === call.callId && item.call === undefined);
      const current = items[index];
      if (current?.kind === "tool") {
        return { ...next, items: replaced(items, index, { ...current, call }) };
      }
      return appended(next, { kind: "tool", iteration, callId: call.callId, name: call.name, arguments: call.arguments, call });
    }
    case "stepRestarted": {
      const { iteration, failedModel, nextModel, reason } = event.event.value;
      const index = lastIndex(items, isStreamingTurn(iteration));
      const current = items[index];
      const discardedText = current?.kind === "model" ? current.text : "";
      const kept = index === -1 ? next : { ...next, items: items.filter((_, position) => position !== index) };
      return appended(kept, { kind: "restart", iteration, failedModel, nextModel, reason, discardedText });
    }
    case "runCompleted":
      return event.event.value.result === undefined ? next : { ...next, completed: event.event.value.result };
    default:
      return next;
  }
}

/** `events` folded, in order, onto `timeline` (default: the empty one). */
export function foldEvents(events: Iterable<StreamResponse>, timeline: Timeline = emptyTimeline): Timeline {
  let folded = timeline;
  for (const event of events) {
    folded = foldEvent(folded, event);
  }
  return folded;
}

/**
 * The timeline of a run's recorded steps, for a run whose events are gone: model turns and tool
 * calls, without restart markers (steps do not record them).
 */
export function timelineFromSteps(steps: readonly Step[]): Timeline {
  let timeline = emptyTimeline;
  for (const step of steps) {
    if (step.kind.case === "modelCall") {
      timeline = appended(timeline, { kind: "model", iteration: step.iteration, text: step.kind.value.text, call: step.kind.value });
    } else if (step.kind.case === "toolCall") {
      const call = step.kind.value;
      timeline = appended(timeline, { kind: "tool", iteration: step.iteration, callId: call.callId, name: call.name, arguments: call.arguments, call });
    }
  }
  return timeline;
}

/** What a timeline's finished model turns add up to: a running run's usage and cost so far. */
export interface TimelineTotals {
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly totalTokens: number;
  readonly costUsd: number;
  /** Model turns finished. */
  readonly modelTurns: number;
}

/** The usage and cost of `timeline`'s finished model turns. */
export function timelineTotals(timeline: Timeline): TimelineTotals {
  let totals: TimelineTotals = { inputTokens: 0, outputTokens: 0, totalTokens: 0, costUsd: 0, modelTurns: 0 };
  for (const item of timeline.items) {
    if (item.kind === "model" && item.call !== undefined) {
      const usage = item.call.usage;
      totals = {
        inputTokens: totals.inputTokens + (usage?.inputTokens ?? 0),
        outputTokens: totals.outputTokens + (usage?.outputTokens ?? 0),
        totalTokens: totals.totalTokens + (usage?.totalTokens ?? 0),
        costUsd: totals.costUsd + item.call.costUsd,
        modelTurns: totals.modelTurns + 1,
      };
    }
  }
  return totals;
}
