import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { fromBinary } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import { Code, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AgentService } from "../gen/agent/v1/agent_service_pb.js";
import { AuditService } from "../gen/agent/v1/audit_service_pb.js";
import { PromptService } from "../gen/agent/v1/prompt_service_pb.js";
import { RunService } from "../gen/agent/v1/run_service_pb.js";
import { Health } from "../gen/grpc/health/v1/health_pb.js";
import { ServerReflection, type ServerReflectionResponse } from "../gen/grpc/reflection/v1/reflection_pb.js";
import {
  ServerReflection as ServerReflectionV1alpha,
  type ServerReflectionResponse as ServerReflectionResponseV1alpha,
} from "../gen/grpc/reflection/v1alpha/reflection_pb.js";
import { startTestService, type TestService } from "./support/test-service.js";

const run = promisify(execFile);
// With no --schema, buf curl learns every method from the server's reflection service.
const cwd = fileURLToPath(new URL("..", import.meta.url));
const buf = fileURLToPath(new URL("../node_modules/.bin/buf", import.meta.url));

let svc: TestService;
let dir: string;
beforeAll(async () => {
  // API keys configured, none sent: reflection (and health) stay open to callers without credentials.
  dir = await mkdtemp(join(tmpdir(), "agent-reflection-"));
  const keysFile = join(dir, "keys.json");
  await writeFile(keysFile, JSON.stringify([{ principal: "svc", roles: ["caller"], sha256: createHash("sha256").update("a-key-nobody-sends").digest("hex") }]));
  svc = await startTestService({ AGENT_API_KEYS_FILE: keysFile });
});
afterAll(async () => {
  await svc.close();
  await rm(dir, { recursive: true, force: true });
});

describe.each(["grpc-v1", "grpc-v1alpha"])("buf curl without --schema, over %s reflection", (reflectProtocol) => {
  it("lists every method of every service", async () => {
    const { stdout } = await run(buf, ["curl", "--list-methods", "--http2-prior-knowledge", "--reflect-protocol", reflectProtocol, svc.url], { cwd });
    const listed = stdout.trim().split("\n");
    for (const service of [AgentService, RunService, PromptService, AuditService, Health, ServerReflection, ServerReflectionV1alpha]) {
      for (const method of service.methods) {
        expect(listed).toContain(`${service.typeName}/${method.name}`);
      }
    }
  });

  it("calls a unary method", async () => {
    const { stdout } = await run(
      buf,
      ["curl", "--http2-prior-knowledge", "--reflect-protocol", reflectProtocol, "-d", "{}", `${svc.url}/agent.v1.AgentService/Health`],
      { cwd },
    );
    expect(JSON.parse(stdout)).toMatchObject({ status: "SERVING_STATUS_SERVING" });
  });
});

type Asked = { readonly case: "fileContainingSymbol" | "fileByFilename" | "listServices"; readonly value: string };
type Answer = ServerReflectionResponse | ServerReflectionResponseV1alpha;

/** Each reflection version, asked the same questions in one stream. */
const versions: { readonly name: string; ask(questions: readonly Asked[]): Promise<Answer[]> }[] = [
  {
    name: "v1",
    ask: (questions) => collect(createClient(ServerReflection, createGrpcTransport({ baseUrl: svc.url })).serverReflectionInfo(requestsOf(questions))),
  },
  {
    name: "v1alpha",
    ask: (questions) =>
      collect(createClient(ServerReflectionV1alpha, createGrpcTransport({ baseUrl: svc.url })).serverReflectionInfo(requestsOf(questions))),
  },
];

describe.each(versions)("grpc.reflection.$name.ServerReflection", ({ ask }) => {
  it("answers file_containing_symbol with the file and every file it imports, transitively", async () => {
    const [answer] = await ask([{ case: "fileContainingSymbol", value: "agent.v1.ExecuteRequest" }]);
    expect(answer?.messageResponse.case).toBe("fileDescriptorResponse");
    const files = fileNamesOf(answer);
    expect(files[0]).toBe("agent/v1/agent_service.proto");
    expect(files.slice(1).sort()).toEqual(["agent/v1/run.proto", "google/protobuf/duration.proto", "google/protobuf/struct.proto"]);
  });

  it("finds a method's file by its full name", async () => {
    const [answer] = await ask([{ case: "fileContainingSymbol", value: "agent.v1.RunService.GetRun" }]);
    expect(fileNamesOf(answer)[0]).toBe("agent/v1/run_service.proto");
  });

  it("answers an unknown symbol with NOT_FOUND in error_response, and the stream goes on", async () => {
    const answers = await ask([
      { case: "fileContainingSymbol", value: "agent.v1.NoSuchMessage" },
      { case: "fileByFilename", value: "no/such.proto" },
      { case: "fileByFilename", value: "google/protobuf/timestamp.proto" },
      { case: "listServices", value: "" },
    ]);
    expect(answers.map((answer) => answer.messageResponse.case)).toEqual([
      "errorResponse",
      "errorResponse",
      "fileDescriptorResponse",
      "listServicesResponse",
    ]);
    for (const answer of answers.slice(0, 2)) {
      expect(answer.messageResponse.case === "errorResponse" && answer.messageResponse.value.errorCode).toBe(Code.NotFound);
    }
    const listed = answers[3]?.messageResponse.case === "listServicesResponse" ? answers[3].messageResponse.value.service.map((s) => s.name) : [];
    expect(listed).toEqual([
      "agent.v1.AgentService",
      "agent.v1.RunService",
      "agent.v1.PromptService",
      "agent.v1.AuditService",
      "grpc.health.v1.Health",
      "grpc.reflection.v1.ServerReflection",
      "grpc.reflection.v1alpha.ServerReflection",
    ]);
  });
});

async function* requestsOf(questions: readonly Asked[]) {
  for (const messageRequest of questions) {
    yield { messageRequest };
  }
}

async function collect<T>(stream: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const each of stream) {
    all.push(each);
  }
  return all;
}

function fileNamesOf(answer: Answer | undefined): string[] {
  if (answer?.messageResponse.case !== "fileDescriptorResponse") {
    return [];
  }
  return answer.messageResponse.value.fileDescriptorProto.map((bytes) => fromBinary(FileDescriptorProtoSchema, bytes).name);
}
