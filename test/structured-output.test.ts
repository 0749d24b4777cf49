import { Code, ConnectError, createClient, type Client } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AgentService, type ExecuteResponse } from "../gen/agent/v1/agent_service_pb.js";
import { PromptKind, PromptRole, PromptService } from "../gen/agent/v1/prompt_service_pb.js";
import { StopReason, type ModelCall } from "../gen/agent/v1/run_pb.js";
import { RunService } from "../gen/agent/v1/run_service_pb.js";
import { compileOutputSchema } from "../server/prompts/output-schema.js";
import type { SimulatorRequestEvent } from "../server/simulator/index.js";
import { startTestService, type TestService } from "./support/test-service.js";

// Output schemas through the real server: a chain registered with a schema,
// run by Execute and Stream against the simulator in structured-output mode;
// an invalid answer is sent back and retried, within the run's iterations;
// what leaves the service is redacted, the structured output too.

const sentimentSchema = {
  type: "object",
  properties: { label: { enum: ["positive", "negative", "neutral"] }, confidence: { type: "number" } },
  required: ["label", "confidence"],
};

let dir: string;
let svc: TestService;
let agent: Client<typeof AgentService>;
let runs: Client<typeof RunService>;
let prompts: Client<typeof PromptService>;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "agent-structured-"));
  const modelsFile = join(dir, "models.json");
  // The primary declares the provider's structured-output mode; the fallback does not.
  await writeFile(modelsFile, JSON.stringify({ models: [{ name: "sim-small", structuredOutput: true }, { name: "sim-large" }] }));
  svc = await startTestService({ AGENT_MODELS: "", AGENT_MODELS_FILE: modelsFile });
  // The test service's default principal is the local dev one, with every role.
  const transport = createGrpcTransport({ baseUrl: svc.url });
  agent = createClient(AgentService, transport);
  runs = createClient(RunService, transport);
  prompts = createClient(PromptService, transport);
  await prompts.registerPrompt({
    name: "sentiment",
    activate: true,
    content: {
      kind: PromptKind.CHAIN,
      messages: [{ role: PromptRole.HUMAN, template: "Analyze sentiment: {text}" }],
      inputVariables: ["text"],
      outputSchema: sentimentSchema,
    },
  });
});

afterAll(async () => {
  await svc.close();
  await rm(dir, { recursive: true, force: true });
});

/** A run of the sentiment chain; no template uses {input}, so the input is the last human message, where simulator directives go. */
const sentimentRun = (input: string, fields: { readonly maxIterations?: number } = {}) => ({
  input,
  prompt: "sentiment",
  variables: { text: "I love this product" },
  bypassCache: true,
  ...fields,
});

/** The model requests the simulator receives while `run` runs. */
async function modelRequestsDuring<T>(run: () => Promise<T>): Promise<{ result: T; requests: SimulatorRequestEvent[] }> {
  const requests: SimulatorRequestEvent[] = [];
  const onRequest = (event: SimulatorRequestEvent) => requests.push(event);
  svc.simulator.events.on("request", onRequest);
  try {
    return { result: await run(), requests };
  } finally {
    svc.simulator.events.off("request", onRequest);
  }
}

const modelCalls = (result: ExecuteResponse): ModelCall[] =>
  result.steps.flatMap((step) => (step.kind.case === "modelCall" ? [step.kind.value] : []));

const validatesAgainstSentiment = (value: unknown) => compileOutputSchema(sentimentSchema).parse(JSON.stringify(value)).ok;

describe("a chain with an output schema", () => {
  it("returns the answer as a Struct that validates, beside its text, having asked the model for the schema", async () => {
    const { result, requests } = await modelRequestsDuring(() => agent.execute(sentimentRun("Classify it.")));

    expect(result.stopReason).toBe(StopReason.FINAL_ANSWER);
    expect(result.structuredOutput).toEqual({ label: "positive", confidence: 0.5 });
    expect(validatesAgainstSentiment(result.structuredOutput)).toBe(true);
    expect(JSON.parse(result.output)).toEqual(result.structuredOutput);
    expect(modelCalls(result).map((call) => call.outputErrors)).toEqual([[]]);
    expect(requests.map((request) => request.responseFormat)).toEqual([{ name: "sentiment", schema: sentimentSchema }]);

    // The run's record has the same Struct (GetRun), and the list leaves it out.
    const { run } = await runs.getRun({ runId: result.runId });
    expect(run?.structuredOutput).toEqual(result.structuredOutput);
    const listed = (await runs.listRuns({ pageSize: 10 })).runs.find((candidate) => candidate.runId === result.runId);
    expect(listed).toBeDefined();
    expect(listed?.structuredOutput).toBeUndefined();
  });

  it("retries an answer that does not validate, and the first step says why", async () => {
    const { result, requests } = await modelRequestsDuring(() => agent.execute(sentimentRun("Classify it. #invalid-json")));

    expect(result.stopReason).toBe(StopReason.FINAL_ANSWER);
    expect(result.iterations).toBe(2);
    expect(validatesAgainstSentiment(result.structuredOutput)).toBe(true);
    const [rejected, accepted] = modelCalls(result);
    expect(rejected?.outputErrors).toEqual([expect.stringMatching(/^the answer is not valid JSON/)]);
    expect(accepted?.outputErrors).toEqual([]);
    // The retry sent the model its answer and the errors.
    const retry = requests[1]?.messages ?? [];
    expect(retry.at(-2)).toMatchObject({ role: "assistant", content: rejected?.text });
    expect(retry.at(-1)?.content).toContain("Your answer does not match the required output schema:");
  });

  it("carries the same Struct in Stream's runCompleted as Execute returns, and the step's errors in its modelCallFinished", async () => {
    const request = sentimentRun("Classify it again. #invalid-json");
    const executed = await agent.execute(request);
    const outputErrors: string[][] = [];
    let streamed: ExecuteResponse | undefined;
    for await (const event of agent.stream(request)) {
      if (event.event.case === "modelCallFinished") {
        outputErrors.push(event.event.value.call?.outputErrors ?? []);
      } else if (event.event.case === "runCompleted") {
        streamed = event.event.value.result;
      }
    }

    expect(streamed?.structuredOutput).toEqual(executed.structuredOutput);
    expect(streamed?.structuredOutput).toEqual({ label: "positive", confidence: 0.5 });
    expect(outputErrors).toEqual([[expect.stringMatching(/^the answer is not valid JSON/)], []]);
  });

  it("stops with MAX_ITERATIONS, no output and no Struct, when no answer validated within the run's iterations", async () => {
    const result = await agent.execute(sentimentRun("Classify it once. #invalid-json", { maxIterations: 1 }));

    expect(result.stopReason).toBe(StopReason.MAX_ITERATIONS);
    expect(result.output).toBe("");
    expect(result.structuredOutput).toBeUndefined();
    expect(modelCalls(result)[0]?.outputErrors).toHaveLength(1);
  });

  it("redacts the strings of the structured output, as it does the output", async () => {
    await prompts.registerPrompt({
      name: "contact",
      activate: true,
      content: {
        kind: PromptKind.CHAIN,
        messages: [{ role: PromptRole.HUMAN, template: "Who wrote this?" }],
        outputSchema: { type: "object", properties: { email: { type: "string", format: "email" } }, required: ["email"] },
      },
    });
    const result = await agent.execute({ input: "Extract the contact.", prompt: "contact", bypassCache: true });

    // The simulator's example of an email address is user@example.com.
    expect(result.structuredOutput).toEqual({ email: "[REDACTED:email]" });
    expect(result.output).not.toContain("user@example.com");
  });

  it("is refused at registration when the schema's root is not an object", async () => {
    const err = await prompts
      .registerPrompt({
        name: "bare-label",
        content: { kind: PromptKind.CHAIN, messages: [{ role: PromptRole.HUMAN, template: "Label: {input}" }], outputSchema: { type: "string" } },
      })
      .then(
        () => undefined,
        (e: unknown) => ConnectError.from(e),
      );

    expect(err?.code).toBe(Code.InvalidArgument);
    expect(err?.rawMessage).toContain('outputSchema.type: must be "object"');
  });
});
