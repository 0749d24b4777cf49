import { randomInt } from "node:crypto";
import {
  type AgentServiceError,
  Code,
  StopReason,
  isAgentServiceError,
  type AgentClient,
  type ExecuteResponse,
  type RunOptions,
  type StreamResponse,
} from "../../../client/index.js";
import { plainAnswer } from "../../../server/simulator/final-answer.js";
import type { ChaosService } from "./chaos-service.js";

/** What a caller asks and the one answer that is correct. */
export interface Task {
  readonly input: string;
  readonly output: string;
  /** Model turns a healthy run of it takes. */
  readonly turns: number;
}

/**
 * A two-turn task (calculator tool call, then the answer). Its numbers are
 * random, so no other caller, test or earlier run (through Redis) asked it:
 * the cache never answers it and identical requests never share a call.
 */
export function calculatorTask(): Task {
  const [a, b] = [randomInt(1_000, 1_000_000), randomInt(2, 1_000)];
  return { input: `What is ${a} * ${b}?`, output: `${a} * ${b} = ${a * b}.`, turns: 2 };
}

/** A one-turn task whose answer streams as text, so a cut lands mid-answer. */
export function greetingTask(): Task {
  const input = `Hello there, who are you? (caller ${randomInt(1e9)})`;
  return { input, output: plainAnswer(input), turns: 1 };
}

/**
 * How a caller calls: `execute`; `stream` with the SDK's default buffered
 * text (a restarted turn's text is dropped); `stream-live`, every delta as it
 * comes, the restart markers left to the caller.
 */
export type CallerRpc = "execute" | "stream" | "stream-live";

/** One caller of a load. */
export interface CallerPlan {
  readonly index: number;
  readonly rpc: CallerRpc;
  readonly protocol: "connect" | "grpc";
  readonly task: Task;
}

/** What one caller saw: an answer or an error, and for streams every event. */
export interface CallerOutcome {
  readonly plan: CallerPlan;
  readonly result: ExecuteResponse | undefined;
  readonly error: AgentServiceError | undefined;
  readonly events: readonly StreamResponse[];
}

const rpcs: readonly CallerRpc[] = ["execute", "stream", "execute", "stream-live"];
const protocols = ["connect", "grpc"] as const;

/** `count` callers, every RPC over both protocols in turn, each with its own task. */
export function planCallers(count: number, task: (index: number) => Task): CallerPlan[] {
  return Array.from({ length: count }, (_, index) => ({
    index,
    rpc: rpcs[index % rpcs.length] ?? "execute",
    protocol: protocols[Math.floor(index / rpcs.length) % protocols.length] ?? "connect",
    task: task(index),
  }));
}

/** Runs every caller at once and resolves with what each saw; never rejects for a caller's error. */
export function runCallers(service: ChaosService, plans: readonly CallerPlan[], options: RunOptions = {}): Promise<CallerOutcome[]> {
  return Promise.all(plans.map((plan) => runCaller(service.clients[plan.protocol], plan, options)));
}

async function runCaller(client: AgentClient, plan: CallerPlan, options: RunOptions): Promise<CallerOutcome> {
  const events: StreamResponse[] = [];
  try {
    if (plan.rpc === "execute") {
      return { plan, result: await client.execute(plan.task.input, options), error: undefined, events };
    }
    for await (const event of client.stream(plan.task.input, { ...options, textDeltas: plan.rpc === "stream" ? "buffered" : "live" })) {
      events.push(event);
    }
    const last = events.at(-1)?.event;
    return { plan, result: last?.case === "runCompleted" ? last.value.result : undefined, error: undefined, events };
  } catch (err) {
    if (!isAgentServiceError(err)) {
      throw err;
    }
    return { plan, result: undefined, error: err, events };
  }
}

/**
 * What the callers saw, counted: `answered by <model>` (plus `after fallback`
 * when a fallback answered), or `<Code> <reason>` for an error. Compare it
 * with `toEqual` to see every unexpected outcome at once.
 */
export function verdicts(outcomes: readonly CallerOutcome[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const outcome of outcomes) {
    const key = verdictOf(outcome);
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

function verdictOf({ result, error }: CallerOutcome): string {
  if (error !== undefined) {
    return `${Code[error.code]} ${error.reason}`;
  }
  if (result === undefined) {
    return "stream ended without runCompleted";
  }
  return `answered by ${result.model}${result.fallbackUsed ? " after fallback" : ""}`;
}

/**
 * Everything wrong with what the callers got, beyond their verdict: an
 * answer that is not the task's, a stop reason other than a final answer, a
 * Stream whose text (as a restart-aware consumer assembles it) is not the
 * final answer, an error after a Stream already completed. Empty when all is well.
 */
export function problems(outcomes: readonly CallerOutcome[]): string[] {
  return outcomes.flatMap(({ plan, result, error, events }) => {
    const who = `caller ${plan.index} (${plan.rpc} over ${plan.protocol})`;
    const found: string[] = [];
    if (error !== undefined) {
      if (events.some((e) => e.event.case === "runCompleted")) {
        found.push(`${who}: failed with ${Code[error.code]} after runCompleted`);
      }
      return found;
    }
    if (result === undefined) {
      return found;
    }
    if (result.output !== plan.task.output) {
      found.push(`${who}: answered ${JSON.stringify(result.output)}, expected ${JSON.stringify(plan.task.output)}`);
    }
    if (result.stopReason !== StopReason.FINAL_ANSWER) {
      found.push(`${who}: stopped with ${StopReason[result.stopReason]}`);
    }
    if (plan.rpc !== "execute") {
      const text = plan.rpc === "stream" ? streamedText(events) : restartAwareText(events);
      if (text !== result.output) {
        found.push(`${who}: streamed ${JSON.stringify(text)}, final answer ${JSON.stringify(result.output)}`);
      }
    }
    return found;
  });
}

/** Every text delta, as the SDK's buffered mode delivered them. */
export function streamedText(events: readonly StreamResponse[]): string {
  return events.flatMap((e) => (e.event.case === "textDelta" ? [e.event.value.text] : [])).join("");
}

/** Live deltas with each restarted turn's text dropped, as a `live` consumer must do it. */
export function restartAwareText(events: readonly StreamResponse[]): string {
  let kept = "";
  let turn = "";
  for (const { event } of events) {
    if (event.case === "textDelta") {
      turn += event.value.text;
    } else if (event.case === "stepRestarted") {
      turn = "";
    } else {
      kept += turn;
      turn = "";
    }
  }
  return kept + turn;
}

/** The restart markers of a Stream, in order. */
export function restartMarkers(events: readonly StreamResponse[]) {
  return events.flatMap((e) => (e.event.case === "stepRestarted" ? [e.event.value] : []));
}
