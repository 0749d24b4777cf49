// The script of the browser test's page: the SDK's browser entry, bundled with esbuild, calling
// the service from another origin. The test drives it through `window.agentChecks`.
import { AgentServiceError, Code, StopReason, createAgentClient, type WebProtocol } from "../../../client/web.js";

/** What one protocol's run looked like from the page. */
export interface PageRunReport {
  readonly output: string;
  readonly stopReason: string;
  readonly traceId: string;
  /** The kinds of the streamed events, in order. */
  readonly kinds: readonly string[];
  readonly toolResults: readonly string[];
}

/** How a call that failed looked from the page. */
export interface PageFailure {
  readonly failed: boolean;
  readonly isAgentServiceError: boolean;
  readonly code: string;
}

/** What the page offers the test. */
export interface AgentChecks {
  /** Execute and Stream of "What is 17 * 23?" over `protocol`. */
  run(baseUrl: string, protocol: WebProtocol): Promise<PageRunReport>;
  /** One Execute, not retried, and how it failed, if it did. */
  attempt(baseUrl: string, protocol: WebProtocol): Promise<PageFailure>;
}

const agentChecks: AgentChecks = {
  async run(baseUrl, protocol) {
    const client = createAgentClient({ baseUrl, protocol, timeoutMs: 20_000 });
    const res = await client.execute("What is 17 * 23?");
    const kinds: string[] = [];
    const toolResults: string[] = [];
    for await (const event of client.stream("What is 17 * 23?")) {
      kinds.push(event.event.case ?? "none");
      if (event.event.case === "toolCallFinished") {
        toolResults.push(`${event.event.value.call?.name ?? ""}: ${event.event.value.call?.result ?? ""}`);
      }
    }
    return { output: res.output, stopReason: StopReason[res.stopReason], traceId: res.traceId, kinds, toolResults };
  },
  async attempt(baseUrl, protocol) {
    const client = createAgentClient({ baseUrl, protocol, timeoutMs: 10_000, retries: 0 });
    try {
      await client.execute("What is 17 * 23?");
      return { failed: false, isAgentServiceError: false, code: "" };
    } catch (err) {
      return { failed: true, isAgentServiceError: err instanceof AgentServiceError, code: err instanceof AgentServiceError ? Code[err.code] : String(err) };
    }
  },
};

(globalThis as unknown as { agentChecks: AgentChecks }).agentChecks = agentChecks;
