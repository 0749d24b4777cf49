import type { EventEmitter } from "node:events";
import type { OutgoingHttpHeaders, ServerResponse } from "node:http";
import { parseChatRequest } from "./chat-request.js";
import { buildCompletion, chatCompletionBody } from "./completion.js";
import type { FaultRule } from "./fault-rule.js";
import type { FaultSchedule } from "./fault-schedule.js";
import { sendOpenAIError } from "./json-response.js";
import { writePaced, type PacedWrite, type PacedWriter } from "./paced-writer.js";
import { planTurn } from "./planner.js";
import { requestFingerprint } from "./request-fingerprint.js";
import type { SimulatorEventMap } from "./simulator-events.js";
import type { ResolvedSimulatorOptions } from "./simulator-options.js";
import { buildSseFrames, malformedFrame, sseHeaders, type SseFrames } from "./sse.js";
import type { TrafficStats } from "./traffic-stats.js";

/** What the chat completions endpoint works with. */
export interface ChatCompletionsDeps {
  readonly options: ResolvedSimulatorOptions;
  readonly faults: FaultSchedule;
  readonly stats: TrafficStats;
  readonly events: EventEmitter<SimulatorEventMap>;
  /** True while the simulator shuts down: connections it drops then are not client aborts. */
  isClosing(): boolean;
}

const defaultFaultStatus = 503;
const defaultSlowFirstTokenMs = 1000;

/** Answers `POST /v1/chat/completions` whose body has been read, injecting a fault if one applies. */
export function handleChatCompletions(
  deps: ChatCompletionsDeps,
  res: ServerResponse,
  rawBody: string,
  traceparent: string | undefined,
): void {
  let body: unknown;
  try {
    body = JSON.parse(rawBody);
  } catch {
    sendOpenAIError(res, 400, {
      message: "We could not parse the JSON body of your request. The API expects a JSON payload.",
    });
    return;
  }
  const parsed = parseChatRequest(body);
  if (!parsed.ok) {
    sendOpenAIError(res, 400, parsed.problem);
    return;
  }
  const { request } = parsed;
  if (!deps.options.models.has(request.model)) {
    sendOpenAIError(res, 404, {
      message: `The model \`${request.model}\` does not exist or you do not have access to it.`,
      code: "model_not_found",
    });
    return;
  }

  let writer: PacedWriter | undefined;
  res.once("close", () => {
    writer?.cancel();
    if (res.writableFinished || writer?.droppedConnection === true || deps.isClosing()) return;
    deps.stats.recordAbort(request.model);
    deps.events.emit("aborted", { model: request.model });
  });
  // Announced only once the close listener is in place, so a listener may abort right away.
  deps.stats.recordRequest(request.model);
  deps.events.emit("request", {
    model: request.model,
    messages: request.messages,
    stream: request.stream,
    traceparent,
    responseFormat: request.responseFormat,
    temperature: request.temperature,
    maxTokens: request.maxTokens,
  });

  const turn = planTurn(request);
  const system = request.messages.find((message) => message.role === "system")?.content;
  const fault = deps.faults.take({ model: request.model, callsTools: turn.kind === "tool-calls", system: typeof system === "string" ? system : "" });
  if (fault?.kind === "status") {
    sendStatusFault(res, fault);
    return;
  }
  // A hung request gets no response at all; the close listener above still notices the client leaving.
  if (fault?.kind === "hang") return;

  const fingerprint = requestFingerprint(rawBody);
  const completion = buildCompletion({
    request,
    turn,
    fingerprint,
    corruptToolArguments: fault?.kind === "invalid-tool-arguments",
  });
  const firstDelayMs = fault?.kind === "slow-first-token" ? (fault.delayMs ?? defaultSlowFirstTokenMs) : 0;
  const headers: OutgoingHttpHeaders = { "x-request-id": `req_${fingerprint.slice(0, 32)}` };

  if (request.stream) {
    res.writeHead(200, { ...headers, ...sseHeaders });
    // A slow first token still has prompt headers, as a real provider would.
    if (firstDelayMs > 0) res.flushHeaders();
    const write = streamWrite(buildSseFrames(completion, request.includeUsage), malformedFrame(completion), fault);
    writer = writePaced(res, { ...write, firstDelayMs, gapMs: deps.options.chunkDelayMs, onWritten: deps.stats.recordBodyBytes });
  } else {
    const { contentLength, ...write } = jsonWrite(chatCompletionBody(completion), fault);
    res.writeHead(200, { ...headers, "content-type": "application/json", "content-length": contentLength });
    writer = writePaced(res, { ...write, firstDelayMs, gapMs: 0, onWritten: deps.stats.recordBodyBytes });
  }
}

function jsonWrite(
  json: string,
  fault: FaultRule | undefined,
): Pick<PacedWrite, "frames" | "ending"> & { contentLength: number } {
  const half = json.slice(0, Math.floor(json.length / 2));
  switch (fault?.kind) {
    case "malformed-json":
      return { frames: [half], ending: "end", contentLength: Buffer.byteLength(half) };
    case "cut-stream":
      // The full length is announced, so the client can tell the body was cut short.
      return { frames: [half], ending: "destroy", contentLength: Buffer.byteLength(json) };
    default:
      return { frames: [json], ending: "end", contentLength: Buffer.byteLength(json) };
  }
}

function streamWrite(
  frames: SseFrames,
  malformed: string,
  fault: FaultRule | undefined,
): Pick<PacedWrite, "frames" | "ending"> {
  const { opening, body, closing } = frames;
  // At least one delta before the fault, so clients see a partial answer first.
  const middle = Math.max(1, Math.ceil(body.length / 2));
  switch (fault?.kind) {
    case "cut-stream":
      return { frames: [...opening, ...body.slice(0, middle)], ending: "destroy" };
    case "malformed-json":
      return { frames: [...opening, ...body.slice(0, middle), malformed, ...body.slice(middle), ...closing], ending: "end" };
    default:
      return { frames: [...opening, ...body, ...closing], ending: "end" };
  }
}

function sendStatusFault(res: ServerResponse, fault: FaultRule): void {
  const status = fault.status ?? defaultFaultStatus;
  const headers: OutgoingHttpHeaders = {};
  if (fault.retryAfterSeconds !== undefined) headers["retry-after"] = String(fault.retryAfterSeconds);
  if (fault.retryAfterMs !== undefined) headers["retry-after-ms"] = String(fault.retryAfterMs);
  sendOpenAIError(res, status, { message: statusFaultMessage(status), code: status === 429 ? "rate_limit_exceeded" : null }, headers);
}

function statusFaultMessage(status: number): string {
  if (status === 429) return "Rate limit reached for requests (simulated). Please try again later.";
  if (status === 503) return "The server is overloaded or not ready yet (simulated).";
  if (status >= 500) return "The server had an error while processing your request (simulated).";
  return `Simulated error with status ${status}.`;
}
