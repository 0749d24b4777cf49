import * as esbuild from "esbuild";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { folderBytes, installedPackages, runCommand, type InstalledPackage } from "./support/npm-project.js";
import { projectRoot } from "./support/service-process.js";
import { startTestService, type TestService } from "./support/test-service.js";

// The client SDK as an application gets it: client/ built and packed with npm, the tarball
// installed with npm into a project of its own outside the repository (so nothing resolves from
// the repository's node_modules), then used from Node.js against the real service, bundled for a
// browser, and type-checked. Regression: the root package's `agent-service/client` could not be
// imported from a packed install, and a client-only install of it was 127 MB in 72 packages.

/** What `npm pack --json` says about one tarball. */
interface PackResult {
  readonly filename: string;
  readonly files: readonly { readonly path: string }[];
}

const sdkName = "@agent-service/client";
/** What an install of the SDK may hold at most: itself, connect (core, Node, web) and protobuf are five. */
const maxPackages = 8;
const maxBytes = 15 * 1024 * 1024;

let workDir: string;
let projectDir: string;
let packed: PackResult;
let packages: InstalledPackage[];
let svc: TestService;

beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), "agent-sdk-package-"));
  projectDir = join(workDir, "app");
  svc = await startTestService();

  await runCommand("npm", ["run", "build:client", "--silent"], { cwd: projectRoot });
  [packed] = JSON.parse(await runCommand("npm", ["pack", "./client", "--json", "--pack-destination", workDir], { cwd: projectRoot })) as [PackResult];

  await mkdir(projectDir);
  await writeFile(join(projectDir, "package.json"), JSON.stringify({ name: "sdk-consumer", private: true, type: "module" }, null, 2));
  // Not --prefer-offline: a cache holding stale metadata of one connect package but not of the
  // others makes npm pick mismatched versions and nest a second @connectrpc/connect.
  const installStart = performance.now();
  await runCommand("npm", ["install", join(workDir, packed.filename), "--no-audit", "--no-fund", "--loglevel=error"], { cwd: projectDir });
  console.error(`sdk package: npm install from the tarball took ${Math.round(performance.now() - installStart)} ms`);
  packages = await installedPackages(projectDir);
}, 300_000);

afterAll(async () => {
  await svc?.close();
  await rm(workDir, { recursive: true, force: true });
});

describe("the SDK package", () => {
  it("has the root package's version", async () => {
    const root = JSON.parse(await readFile(join(projectRoot, "package.json"), "utf8")) as { version: string };
    const sdk = JSON.parse(await readFile(join(projectRoot, "client", "package.json"), "utf8")) as { version: string };
    expect(sdk.version).toBe(root.version);
  });

  it("carries the compiled SDK and the generated messages only: no tests, no CLI, no sources", () => {
    const paths = packed.files.map((file) => file.path);
    expect(paths).toEqual(expect.arrayContaining(["package.json", "dist/client/index.js", "dist/client/index.d.ts", "dist/client/web.js", "dist/client/tracing.js", "dist/gen/agent/v1/agent_service_pb.js"]));
    const unexpected = paths.filter((path) => path !== "package.json" && !/^dist\/(client|gen)\/[\w/-]+(_pb)?\.(js|d\.ts)$/.test(path));
    expect(unexpected).toEqual([]);
    expect(paths.filter((path) => /\.test\.|\/cli\/|prompts-cli\.|\/testing\//.test(path))).toEqual([]);
  });

  it(`installs as at most ${maxPackages} packages, well under 15 MB, with one copy of connect and no optional peer`, async () => {
    const bytes = await folderBytes(join(projectDir, "node_modules"));
    console.error(
      `sdk package: ${packages.length} packages, ${(bytes / 1024 / 1024).toFixed(1)} MB installed: ` +
        packages.map((pkg) => `${pkg.name}@${pkg.version}`).join(", "),
    );
    expect(packages.length).toBeLessThanOrEqual(maxPackages);
    expect(bytes).toBeLessThan(maxBytes);
    expect(packages.map((pkg) => pkg.name).sort()).toEqual([
      sdkName,
      "@bufbuild/protobuf",
      "@connectrpc/connect",
      "@connectrpc/connect-node",
      "@connectrpc/connect-web",
    ].sort());
    // The trace interceptor's @opentelemetry/api is an optional peer: not installed unless the application has it.
    expect(packages.some((pkg) => pkg.name === "@opentelemetry/api")).toBe(false);
  });
});

/** What the consumer script reports per protocol. */
interface ProtocolReport {
  readonly output: string;
  readonly stopReason: string;
  readonly kinds: readonly string[];
  readonly error: { readonly isAgentServiceError: boolean; readonly code: string; readonly reason: string };
}

const nodeConsumer = `
import { AgentServiceError, Code, StopReason, createAgentClient } from "${sdkName}";

const baseUrl = process.argv[2];
const report = {};
for (const protocol of ["connect", "grpc", "grpc-web"]) {
  const client = createAgentClient({ baseUrl, protocol, timeoutMs: 20_000 });
  try {
    const res = await client.execute("What is 17 * 23?");
    const kinds = [];
    for await (const event of client.stream("What is 17 * 23?")) {
      kinds.push(event.event.case);
    }
    const error = await client.execute("   ").then(() => undefined, (err) => err);
    report[protocol] = {
      output: res.output,
      stopReason: StopReason[res.stopReason],
      kinds,
      error: { isAgentServiceError: error instanceof AgentServiceError, code: Code[error?.code], reason: error?.reason },
    };
  } finally {
    client.close();
  }
}
process.stdout.write(JSON.stringify(report));
`;

describe("the installed SDK in Node.js", () => {
  it("calls the service over Connect, gRPC and gRPC-Web: Execute, Stream and a typed error", async () => {
    await writeFile(join(projectDir, "call-service.mjs"), nodeConsumer);
    // The Node.js running the tests (the pinned one, or the previous LTS line in CI), not the machine's.
    const stdout = await runCommand(process.execPath, ["call-service.mjs", svc.url], { cwd: projectDir, env: { PATH: process.env["PATH"] ?? "" }, timeoutMs: 120_000 });
    const report = JSON.parse(stdout) as Record<string, ProtocolReport>;
    expect(Object.keys(report)).toEqual(["connect", "grpc", "grpc-web"]);
    for (const [protocol, result] of Object.entries(report)) {
      expect({ protocol, output: result.output, stopReason: result.stopReason }).toEqual({ protocol, output: expect.stringContaining("391"), stopReason: "FINAL_ANSWER" });
      expect(result.kinds[0]).toBe("runStarted");
      expect(result.kinds).toContain("toolCallFinished");
      expect(result.kinds.at(-1)).toBe("runCompleted");
      expect(result.error).toEqual({ isAgentServiceError: true, code: "InvalidArgument", reason: "INVALID_REQUEST" });
    }
  }, 120_000);
});

describe("the installed SDK's browser entry", () => {
  it.each([
    { specifier: `${sdkName}/web`, how: "its web entry" },
    { specifier: sdkName, how: "the main entry's browser condition" },
  ])("bundles from $specifier ($how) with every dependency and no Node.js module", async ({ specifier }) => {
    const result = await esbuild.build({
      stdin: { contents: `export * from "${specifier}";`, resolveDir: projectDir, loader: "js" },
      bundle: true,
      platform: "browser",
      format: "esm",
      write: false,
      metafile: true,
      logLevel: "silent",
    });
    expect(result.errors).toEqual([]);
    expect(result.warnings).toEqual([]);
    const inputs = Object.keys(result.metafile.inputs);
    // Nothing left for a loader to resolve: every import is inside the bundle.
    expect(Object.values(result.metafile.outputs).flatMap((output) => output.imports)).toEqual([]);
    expect(inputs.filter((input) => input.startsWith("node:") || input.includes("connect-node"))).toEqual([]);
    expect(inputs).toEqual(expect.arrayContaining([expect.stringContaining("connect-web")]));
    const code = result.outputFiles[0]?.text ?? "";
    expect(code).not.toMatch(/["']node:/);
    expect(code).not.toMatch(/\brequire\(/);
    expect(code).toContain("createAgentClient");
  });
});

const typeConsumer = `
import { createAgentClient, StopReason, type ExecuteResponse, type WebAgentClientOptions } from "${sdkName}/web";
import { createAgentClient as createNodeClient, type AgentClientOptions } from "${sdkName}";

const options: WebAgentClientOptions = { baseUrl: "https://agents.example.com", protocol: "grpc-web" };
const client = createAgentClient(options);
export const answer: Promise<ExecuteResponse> = client.execute("What is 17 * 23?", { maxIterations: 4 });
export const reason: string = StopReason[StopReason.FINAL_ANSWER];
// @ts-expect-error browsers cannot speak gRPC
createAgentClient({ baseUrl: "https://agents.example.com", protocol: "grpc" });
const nodeOptions: AgentClientOptions = { baseUrl: "http://127.0.0.1:8080", protocol: "grpc", httpVersion: "2" };
export const nodeClient = createNodeClient(nodeOptions);
// @ts-expect-error an unknown protocol
createNodeClient({ baseUrl: "http://127.0.0.1:8080", protocol: "grpc2" });
`;

describe("the installed SDK's types", () => {
  it("type-check in a fresh TypeScript project (NodeNext resolution, the package's exports)", async () => {
    await writeFile(join(projectDir, "consumer.ts"), typeConsumer);
    await writeFile(
      join(projectDir, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          target: "ES2023",
          lib: ["ES2023", "DOM"],
          module: "NodeNext",
          moduleResolution: "NodeNext",
          strict: true,
          noEmit: true,
          // The Node.js entry's transports declare Node.js types (node:http2), which an application has from @types/node.
          skipLibCheck: true,
          types: [],
        },
        files: ["consumer.ts"],
      }),
    );
    // The repository's compiler, but every module resolved from the project: an @ts-expect-error
    // that finds no error (a type resolved to any) fails the check.
    const tsc = join(projectRoot, "node_modules", "typescript", "bin", "tsc");
    await expect(runCommand(process.execPath, [tsc, "-p", "tsconfig.json"], { cwd: projectDir, timeoutMs: 120_000 })).resolves.toBe("");
  }, 120_000);
});
