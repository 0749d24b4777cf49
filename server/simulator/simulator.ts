import { EventEmitter } from "node:events";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { handleChatCompletions, type ChatCompletionsDeps } from "./chat-completions.js";
import { simulatedCreated } from "./completion.js";
import { controlPathPrefix, handleControl } from "./control-endpoints.js";
import type { FaultRule } from "./fault-rule.js";
import { createFaultSchedule } from "./fault-schedule.js";
import { sendJson, sendJsonText, sendOpenAIError } from "./json-response.js";
import { readRequestBody } from "./request-body.js";
import type { SimulatorEventMap } from "./simulator-events.js";
import { resolveSimulatorOptions, type SimulatorOptions } from "./simulator-options.js";
import { createTrafficStats, type SimulatorStats } from "./traffic-stats.js";

/** A running model simulator: an OpenAI-compatible chat completions server. */
export interface Simulator {
  /** Base URL including `/v1`, as `OPENAI_BASE_URL` expects, e.g. `http://127.0.0.1:39123/v1`. */
  readonly url: string;
  /** The port it listens on; the one picked when the options asked for port 0. */
  readonly port: number;
  /** Replaces the fault rules; throws a `ZodError` when a rule is invalid. */
  setFaults(rules: FaultRule[]): void;
  /** Removes every fault rule. */
  clearFaults(): void;
  /**
   * Replaces the API key `/v1/*` requests must carry (undefined: none), as a
   * provider rotating its keys: requests from then on with any other key get
   * a 401; requests already accepted go on.
   */
  setApiKey(apiKey: string | undefined): void;
  /** A copy of the traffic counters. */
  stats(): SimulatorStats;
  /** Zeroes the traffic counters. */
  resetStats(): void;
  /**
   * Emits `request` when a chat completion request is accepted and `aborted` when its client goes
   * away before the response is complete, so tests can await them instead of sleeping.
   */
  readonly events: EventEmitter<SimulatorEventMap>;
  /** Stops listening and destroys open connections, including hung requests. Idempotent. */
  close(): Promise<void>;
}

/** Request bodies above this size get a 413; real conversations stay far below it. */
const maxBodyBytes = 32 * 1024 * 1024;

/**
 * Starts a simulator and resolves once it listens. See {@link SimulatorOptions} for the defaults.
 * Throws a `RangeError` for out-of-range options and a `ZodError` for invalid fault rules.
 */
export async function createSimulator(options?: SimulatorOptions): Promise<Simulator> {
  const resolved = resolveSimulatorOptions(options);
  const faults = createFaultSchedule(resolved.faults);
  const stats = createTrafficStats();
  const events = new EventEmitter<SimulatorEventMap>();
  let closing = false;
  const chatDeps: ChatCompletionsDeps = { options: resolved, faults, stats, events, isClosing: () => closing };
  const authorizationOf = (apiKey: string | undefined) => (apiKey === undefined ? undefined : `Bearer ${apiKey}`);
  let expectedAuthorization = authorizationOf(resolved.apiKey);
  // The model list never changes, so it is serialised once.
  const modelList = JSON.stringify({ object: "list", data: [...resolved.models].map(modelObject) });

  const route = (req: IncomingMessage, res: ServerResponse): void => {
    const method = req.method ?? "GET";
    const url = req.url ?? "/";
    const queryStart = url.indexOf("?");
    const path = queryStart === -1 ? url : url.slice(0, queryStart);

    if (path.startsWith("/v1/")) {
      if (expectedAuthorization !== undefined && req.headers.authorization !== expectedAuthorization) {
        sendOpenAIError(res, 401, {
          message:
            req.headers.authorization === undefined
              ? "You didn't provide an API key. Provide it in an Authorization header using Bearer auth."
              : "Incorrect API key provided.",
          code: "invalid_api_key",
        });
        return;
      }
      if (path === "/v1/chat/completions" && method === "POST") {
        void withBody(req, res, (body) => {
          const traceparent = req.headers["traceparent"];
          handleChatCompletions(chatDeps, res, body, typeof traceparent === "string" ? traceparent : undefined);
        });
        return;
      }
      if (path === "/v1/models" && method === "GET") {
        sendJsonText(res, 200, modelList);
        return;
      }
      if (path.startsWith("/v1/models/") && method === "GET") {
        const model = decodePathSegment(path.slice("/v1/models/".length));
        if (resolved.models.has(model)) sendJson(res, 200, modelObject(model));
        else sendOpenAIError(res, 404, { message: `The model '${model}' does not exist`, param: "model", code: "model_not_found" });
        return;
      }
    } else if (path.startsWith(controlPathPrefix)) {
      void withBody(req, res, (body) => {
        if (!handleControl({ faults, stats }, method, path, body, res)) notFound(res, method, path);
      });
      return;
    }
    notFound(res, method, path);
  };

  const server = createServer((req, res) => {
    try {
      route(req, res);
    } catch (error) {
      failRequest(res, error);
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(resolved.port, resolved.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = listeningAddress(server.address());
  const url = `http://${resolved.host.includes(":") ? `[${resolved.host}]` : resolved.host}:${port}/v1`;

  let closed: Promise<void> | undefined;
  return {
    url,
    port,
    events,
    setFaults: (rules) => faults.replace(rules),
    clearFaults: () => faults.replace([]),
    setApiKey: (apiKey) => {
      expectedAuthorization = authorizationOf(apiKey);
    },
    stats: () => stats.snapshot(),
    resetStats: () => stats.reset(),
    close() {
      closed ??= new Promise<void>((resolve, reject) => {
        closing = true;
        server.close((error) => (error ? reject(error) : resolve()));
        // close() alone waits for every response to finish, and a hung one never does.
        server.closeAllConnections();
      });
      return closed;
    },
  };
}

async function withBody(req: IncomingMessage, res: ServerResponse, handle: (body: string) => void): Promise<void> {
  const body = await readRequestBody(req, maxBodyBytes);
  if (body.ok) {
    try {
      handle(body.text);
    } catch (error) {
      failRequest(res, error);
    }
  } else if (body.reason === "too-large") {
    sendOpenAIError(res, 413, { message: `Request body is larger than ${maxBodyBytes} bytes.` }, { connection: "close" });
  }
  // An aborted upload has nobody left to answer.
}

// A bug in the simulator must fail one request, not the process hosting the tests.
function failRequest(res: ServerResponse, error: unknown): void {
  if (res.headersSent) res.destroy();
  else sendOpenAIError(res, 500, { message: `Simulator error: ${String(error)}` });
}

function listeningAddress(address: AddressInfo | string | null): AddressInfo {
  if (address === null || typeof address === "string") throw new Error("The simulator is not listening on a TCP port.");
  return address;
}

function decodePathSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

function notFound(res: ServerResponse, method: string, path: string): void {
  sendOpenAIError(res, 404, { message: `Invalid URL (${method} ${path})` });
}

function modelObject(id: string) {
  return { id, object: "model", created: simulatedCreated, owned_by: "simulator" };
}
