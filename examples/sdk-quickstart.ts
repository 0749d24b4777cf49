/**
 * Calls a running agent service with the typed client SDK.
 *
 *   npm start                                    # in one terminal
 *   npx tsx examples/sdk-quickstart.ts           # in another
 *   AGENT_URL=http://127.0.0.1:8080 AGENT_PROTOCOL=grpc npx tsx examples/sdk-quickstart.ts
 *
 * In another service, import from the package entry instead:
 *   import { createAgentClient } from "agent-service/client";
 */
import { AgentServiceError, Code, createAgentClient, StopReason, type AgentProtocol } from "../client/index.js";

const client = createAgentClient({
  baseUrl: process.env["AGENT_URL"] ?? "http://127.0.0.1:8080",
  protocol: (process.env["AGENT_PROTOCOL"] ?? "connect") as AgentProtocol,
  timeoutMs: 30_000,
});

try {
  // One call, one answer.
  const res = await client.execute("What is 17 * 23?");
  console.log(`answer: ${res.output}`);
  console.log(`stopped: ${StopReason[res.stopReason]}, model: ${res.model}, tokens: ${res.usage?.totalTokens}, cost: $${res.costUsd}`);
  console.log(`run ${res.runId}, trace ${res.traceId}`);

  // The same agent, step by step.
  for await (const event of client.stream("What time is it in Asia/Tokyo, and what is 2 ^ 10?")) {
    const e = event.event;
    switch (e.case) {
      case "toolCallStarted":
        console.log(`\n-> ${e.value.name}(${e.value.arguments})`);
        break;
      case "toolCallFinished":
        console.log(`<- ${e.value.call?.result}`);
        break;
      case "textDelta":
        process.stdout.write(e.value.text);
        break;
      case "runCompleted":
        console.log(`\n[${StopReason[e.value.result?.stopReason ?? 0]} after ${e.value.result?.iterations} turns]`);
        break;
    }
  }

  // Errors are typed: the code, a reason, and the broken fields.
  await client.execute("").catch((err: unknown) => {
    if (err instanceof AgentServiceError) {
      console.log(`\nrejected: ${Code[err.code]} ${err.reason}: ${err.fieldViolations.map((v) => `${v.field} ${v.description}`).join("; ")}`);
    }
  });
} finally {
  client.close();
}
