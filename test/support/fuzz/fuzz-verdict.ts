import { Code } from "@connectrpc/connect";
import type { FuzzRequest } from "./fuzz-request.js";
import type { Exchange } from "./raw-exchange.js";
import { codeOfReset, isClosedCode, plainHttpStatuses, readAnswer, type RpcAnswer } from "./rpc-answer.js";

/** The per-request properties of the fuzz test. */
export type FuzzProperty =
  | "answers within the bound"
  | "answers with a status from the closed set"
  | "never answers malformed input with INTERNAL";

/** One broken property for one request. */
export interface Violation {
  readonly property: FuzzProperty;
  /** What was seen, short enough to group by. */
  readonly finding: string;
}

/** A stream reset before any response, read as the status the protocols map its code to. */
function resetAnswer(resetCode: number): RpcAnswer {
  const code = codeOfReset(resetCode);
  return code === undefined
    ? { kind: "unreadable", reason: `stream reset before any response with RST_STREAM ${resetCode}, which maps to no status` }
    : { kind: "rpc status", code, message: "", via: `RST_STREAM ${resetCode} before any response` };
}

/** An error message cut to its cause: trace ids and numbers vary per request, the cause does not. */
const shorten = (message: string) =>
  message
    .replace(/[0-9a-f]{32}/g, "<trace id>")
    .replace(/\d+/g, "N")
    .slice(0, 160);

const codeName = (code: number) => (Number.isNaN(code) ? "an unknown code string" : `${Code[code] ?? `code ${code}`} (${code})`);

/**
 * Judges one exchange: an answer within the bound, whose status (RPC or
 * plain HTTP) is in the closed set, and which is never INTERNAL. Every fuzz
 * request counts as malformed or as a client's choice for the last rule:
 * when valid ones get through, they run against a healthy simulator, where
 * INTERNAL would be a server bug as well.
 */
export function judge(request: FuzzRequest, exchange: Exchange): { answer: RpcAnswer | undefined; violations: Violation[] } {
  if (exchange.kind === "no response") {
    return { answer: undefined, violations: [{ property: "answers within the bound", finding: exchange.reason }] };
  }
  const answer: RpcAnswer = exchange.kind === "reset" ? resetAnswer(exchange.resetCode) : readAnswer(exchange.response);
  const violations: Violation[] = [];
  switch (answer.kind) {
    case "rpc status":
      if (!isClosedCode(answer.code)) {
        violations.push({
          property: "answers with a status from the closed set",
          finding: `${codeName(answer.code)} via ${answer.via}: ${shorten(answer.message)}`,
        });
      }
      if (answer.code === Code.Internal) {
        violations.push({ property: "never answers malformed input with INTERNAL", finding: `INTERNAL via ${answer.via}: ${shorten(answer.message)}` });
      }
      break;
    case "http status":
      if (!plainHttpStatuses.has(answer.status)) {
        violations.push({ property: "answers with a status from the closed set", finding: `plain HTTP ${answer.status} without an RPC status` });
      }
      break;
    case "open stream":
      if (!request.openEnded) {
        violations.push({ property: "answers within the bound", finding: "a stream that was still open when the client stopped reading" });
      }
      break;
    case "unreadable": {
      if (exchange.kind === "reset") {
        violations.push({ property: "answers with a status from the closed set", finding: answer.reason });
        break;
      }
      const broke = exchange.response.end === "broken" ? `; the response broke off: ${exchange.response.error ?? ""}` : "";
      violations.push({
        property: exchange.response.end === "broken" ? "answers within the bound" : "answers with a status from the closed set",
        finding: `${answer.reason}${broke}`,
      });
      break;
    }
  }
  return { answer, violations };
}
