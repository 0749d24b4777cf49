import { spawn } from "node:child_process";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { JaegerFile } from "./telemetry/jaeger-trace.js";
import type { StoredSpan } from "./telemetry/stored-span.js";

const script = fileURLToPath(new URL("./trace-export.ts", import.meta.url));
// By URL, so the loader is found whatever the child's working directory.
const tsxLoader = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;

const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
const otherTraceId = "0af7651916cd43dd8448eb211c80319c";

function storedSpan(overrides: Partial<StoredSpan>): StoredSpan {
  return {
    traceId,
    spanId: "00f067aa0ba902b7",
    name: "invoke_agent",
    kind: "server",
    startTimeUnixNano: "1700000000000000000",
    endTimeUnixNano: "1700000001000000000",
    attributes: {},
    status: { code: "unset" },
    events: [],
    resource: { "service.name": "agent-service" },
    scope: { name: "agent-service" },
    ...overrides,
  };
}

const spans: readonly StoredSpan[] = [
  storedSpan({ traceId: otherTraceId, spanId: "a1a1a1a1a1a1a1a1", name: "other run" }),
  storedSpan({ spanId: "b7ad6b7169203331", parentSpanId: "00f067aa0ba902b7", name: "chat", startTimeUnixNano: "1700000000500000000" }),
  storedSpan({}),
];

interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the command as an operator would, in its own Node process. */
async function runTraceExport(
  args: readonly string[],
  options: { readonly cwd: string; readonly env?: Readonly<Record<string, string>> },
): Promise<CliRun> {
  // `npm test` sets INIT_CWD for the whole run; each case says where its command started.
  const { AGENT_TRACE_FILE: _spanFile, INIT_CWD: _started, ...inherited } = process.env;
  const env: NodeJS.ProcessEnv = { ...inherited, ...options.env };
  const child = spawn(process.execPath, ["--import", tsxLoader, script, ...args], { cwd: options.cwd, env });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once("error", reject);
    child.once("close", resolve);
  });
  return { code, stdout, stderr };
}

describe("trace-export", () => {
  let dir: string;
  let spanFile: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "trace-export-"));
    spanFile = join(dir, "spans.jsonl");
    await writeFile(spanFile, spans.map((span) => `${JSON.stringify(span)}\n`).join(""));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("writes the trace's spans as Jaeger JSON and says where", async () => {
    const out = join(dir, "jaeger.json");

    const run = await runTraceExport([traceId, "--file", spanFile, "--out", out], { cwd: dir });

    expect(run).toEqual({
      code: 0,
      stdout: `wrote 2 spans of trace ${traceId} to ${out}; open Jaeger UI → Search → JSON File\n`,
      stderr: "",
    });
    const jaeger = JSON.parse(await readFile(out, "utf8")) as JaegerFile;
    expect(jaeger.data.map((trace) => trace.traceID)).toEqual([traceId]);
    expect(jaeger.data[0]?.spans.map((span) => span.operationName)).toEqual(["invoke_agent", "chat"]);
  });

  it("reads AGENT_TRACE_FILE, normalises an uppercase id and writes trace-<id>.json in the working directory", async () => {
    const run = await runTraceExport([traceId.toUpperCase()], { cwd: dir, env: { AGENT_TRACE_FILE: spanFile } });

    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`to ${join(dir, `trace-${traceId}.json`)};`);
    const jaeger = JSON.parse(await readFile(join(dir, `trace-${traceId}.json`), "utf8")) as JaegerFile;
    expect(jaeger.data[0]?.spans).toHaveLength(2);
  });

  it("takes relative paths from where npm was started (INIT_CWD), not from the package root it runs in", async () => {
    const started = await mkdtemp(join(tmpdir(), "trace-export-started-"));
    const packageRoot = await mkdtemp(join(tmpdir(), "trace-export-root-"));
    try {
      await writeFile(join(started, "spans.jsonl"), await readFile(spanFile));

      const run = await runTraceExport([traceId, "--file", "spans.jsonl"], { cwd: packageRoot, env: { INIT_CWD: started } });

      expect(run.code).toBe(0);
      expect(run.stdout).toContain(`to ${join(started, `trace-${traceId}.json`)};`);
      const jaeger = JSON.parse(await readFile(join(started, `trace-${traceId}.json`), "utf8")) as JaegerFile;
      expect(jaeger.data[0]?.spans).toHaveLength(2);
      expect(await readdir(packageRoot)).toEqual([]);
    } finally {
      await rm(started, { recursive: true, force: true });
      await rm(packageRoot, { recursive: true, force: true });
    }
  });

  describe.each([
    {
      failure: "a trace the file does not hold",
      args: (file: string) => ["ffffffffffffffffffffffffffffffff", "--file", file],
      message: "no spans of trace ffffffffffffffffffffffffffffffff in",
      detail: "which holds 2 traces",
    },
    {
      failure: "a trace id that is not 32 hex digits",
      args: (file: string) => ["not-a-trace", "--file", file],
      message: 'not a trace id: "not-a-trace"',
      detail: "32 hexadecimal digits",
    },
    {
      failure: "a span file that does not exist",
      args: (file: string) => [traceId, "--file", `${file}.missing`],
      message: "no such span file:",
      detail: "spans.jsonl.missing",
    },
    {
      failure: "neither --file nor AGENT_TRACE_FILE",
      args: () => [traceId],
      message: "no span file",
      detail: "pass --file <spans.jsonl> or set AGENT_TRACE_FILE",
    },
    {
      failure: "an unknown option",
      args: (file: string) => [traceId, "--file", file, "--format", "otlp"],
      message: "Unknown option '--format'",
      detail: "usage: trace-export",
    },
  ])("on $failure", ({ args, message, detail }) => {
    it("exits 1 saying why on stderr and writes nothing", async () => {
      const run = await runTraceExport(args(spanFile), { cwd: dir });

      expect(run.code).toBe(1);
      expect(run.stdout).toBe("");
      expect(run.stderr).toContain(`trace-export: ${message}`);
      expect(run.stderr).toContain(detail);
      expect(run.stderr).not.toMatch(/\n\s+at /);
      expect(await readdir(dir)).toEqual(["spans.jsonl"]);
    });
  });
});
