import type { ServerResponse } from "node:http";
import { z } from "zod";
import { faultRulesSchema } from "./fault-rule.js";
import type { FaultSchedule } from "./fault-schedule.js";
import { sendJson, sendOpenAIError } from "./json-response.js";
import type { TrafficStats } from "./traffic-stats.js";

/** What the control endpoints work with. */
export interface ControlDeps {
  readonly faults: FaultSchedule;
  readonly stats: TrafficStats;
}

/** Path prefix of the control endpoints, outside `/v1` so they can never clash with OpenAI's API. */
export const controlPathPrefix = "/_simulator/";

/**
 * Serves the endpoints that drive a standalone simulator:
 * `GET /_simulator/stats`, `POST /_simulator/stats/reset`, and `GET`, `PUT` (a JSON array of
 * fault rules) and `DELETE` on `/_simulator/faults`. Returns false for a path it doesn't serve.
 */
export function handleControl(
  deps: ControlDeps,
  method: string,
  path: string,
  rawBody: string,
  res: ServerResponse,
): boolean {
  switch (path) {
    case "/_simulator/stats":
      if (method !== "GET") return methodNotAllowed(res, method, path);
      sendJson(res, 200, deps.stats.snapshot());
      return true;
    case "/_simulator/stats/reset":
      if (method !== "POST") return methodNotAllowed(res, method, path);
      deps.stats.reset();
      res.writeHead(204).end();
      return true;
    case "/_simulator/faults":
      return handleFaults(deps, method, path, rawBody, res);
    default:
      return false;
  }
}

function handleFaults(deps: ControlDeps, method: string, path: string, rawBody: string, res: ServerResponse): boolean {
  switch (method) {
    case "GET":
      sendJson(res, 200, { faults: deps.faults.list() });
      return true;
    case "DELETE":
      deps.faults.replace([]);
      res.writeHead(204).end();
      return true;
    case "PUT": {
      let body: unknown;
      try {
        body = JSON.parse(rawBody);
      } catch {
        sendOpenAIError(res, 400, { message: "Fault rules must be sent as a JSON array." });
        return true;
      }
      const parsed = faultRulesSchema.safeParse(body);
      if (!parsed.success) {
        sendOpenAIError(res, 400, { message: `Invalid fault rules:\n${z.prettifyError(parsed.error)}` });
        return true;
      }
      deps.faults.replace(parsed.data);
      sendJson(res, 200, { faults: deps.faults.list() });
      return true;
    }
    default:
      return methodNotAllowed(res, method, path);
  }
}

function methodNotAllowed(res: ServerResponse, method: string, path: string): true {
  sendOpenAIError(res, 405, { message: `Method ${method} is not allowed on ${path}.` });
  return true;
}
