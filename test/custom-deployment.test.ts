import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AgentService, type ExecuteResponse } from "../gen/agent/v1/agent_service_pb.js";
import { PromptService } from "../gen/agent/v1/prompt_service_pb.js";
import { ToolCallStatus } from "../gen/agent/v1/run_pb.js";
import { RunService } from "../gen/agent/v1/run_service_pb.js";
import { installedPackages, runCommand, type InstalledPackage } from "./support/npm-project.js";
import { projectRoot, startServiceProcess, type ServiceProcess } from "./support/service-process.js";

// The library entry as a deployment uses it: the root package packed with `npm pack`, the example
// deployment copied into a project of its own outside the repository, installed from the tarball
// with npm, type-checked against the package's declarations, and started as its own process.

const exampleDir = join(projectRoot, "examples", "custom-deployment");

/** What `npm pack --json` says about one tarball. */
interface PackResult {
  readonly filename: string;
  readonly files: readonly { readonly path: string }[];
}

/** What the example's package.json holds, as far as this test reads and rewrites it. */
interface ExamplePackage {
  dependencies: Record<string, string>;
}

let workDir: string;
let projectDir: string;
let packed: PackResult;
let packages: InstalledPackage[];
let service: ServiceProcess | undefined;

beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), "agent-custom-deployment-"));
  projectDir = join(workDir, "order-desk");

  // `npm pack` builds dist/ first (prepare), as it does on a clean checkout.
  [packed] = JSON.parse(await runCommand("npm", ["pack", "--json", "--pack-destination", workDir], { cwd: projectRoot })) as [PackResult];

  // The example as a user copies it, minus what a local install of it left behind.
  await cp(exampleDir, projectDir, { recursive: true, filter: (source) => !/[/\\](node_modules|package-lock\.json|\.data)$/.test(source) });
  const manifestPath = join(projectDir, "package.json");
  const manifest = JSON.parse(await readFile(manifestPath, "utf8")) as ExamplePackage;
  manifest.dependencies["agent-service"] = `file:${join(workDir, packed.filename)}`;
  await writeFile(manifestPath, JSON.stringify(manifest, null, 2));

  const installStart = performance.now();
  await runCommand("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error"], { cwd: projectDir });
  packages = await installedPackages(projectDir);
  console.error(`custom deployment: npm install from the packed tarball took ${Math.round(performance.now() - installStart)} ms (${packages.length} packages)`);
}, 300_000);

afterAll(async () => {
  if (service !== undefined && service.child.exitCode === null && service.child.signalCode === null) {
    service.child.kill("SIGKILL");
    await service.exited;
  }
  await rm(workDir, { recursive: true, force: true });
});

describe("the packed package", () => {
  it("carries dist (with the built run viewer), proto and the README only: no tests, test helpers, bench, CI, examples, traces or data", () => {
    const paths = packed.files.map((file) => file.path);
    expect(paths).toEqual(
      expect.arrayContaining(["package.json", "README.md", "dist/server/index.js", "dist/server/index.d.ts", "dist/server/main.js", "dist/client/index.js", "dist/ui/index.html", "proto/agent/v1/agent_service.proto"]),
    );
    expect(paths.filter((path) => path.startsWith("dist/ui/assets/")).length).toBeGreaterThanOrEqual(3);
    const unexpected = paths.filter((path) => !/^(dist\/(server|client|gen|ui)|proto)\//.test(path) && !/^(package\.json|README\.md|LICEN[CS]E(\.\w+)?|NOTICE)$/.test(path));
    expect(unexpected).toEqual([]);
    const testOnly = paths.filter((path) => /\.test\.|\/testing\/|\.tsbuildinfo$|\.tgz$|(^|\/)trace-[^/]*\.json$|(^|\/)\.data\//.test(path));
    expect(testOnly).toEqual([]);
  });

  it("names the tarball the example's package.json depends on", async () => {
    const committed = JSON.parse(await readFile(join(exampleDir, "package.json"), "utf8")) as ExamplePackage;
    // The example's README says to run `npm pack` at the repository's root first: this is where it lands.
    expect(committed.dependencies["agent-service"]).toBe(`file:../../${packed.filename}`);
  });
});

describe("a deployment with its own tool and prompt, built on agent-service/server", () => {
  it("type-checks against the package's declarations", async () => {
    const tsc = join(projectDir, "node_modules", "typescript", "bin", "tsc");
    // tsc reports on standard output, which a failed command's error does not carry: say it here.
    const report = await runCommand(process.execPath, [tsc, "-p", projectDir], { cwd: projectDir }).catch((err: unknown) => {
      const cause = err instanceof Error ? (err.cause as { stdout?: unknown } | undefined) : undefined;
      return `tsc failed:\n${String(cause?.stdout ?? err)}`;
    });
    expect(report).toBe("");
  }, 60_000);

  it("shares one zod with the package, so the tool's schema is the one the service reads", () => {
    expect(packages.filter((pkg) => pkg.name === "zod").map((pkg) => pkg.path)).toEqual([join("node_modules", "zod")]);
  });

  it("runs its own tool under its own prompt, and GetRun records the prompt", async () => {
    // Started from its own directory's file, so every import resolves in the project's node_modules.
    service = startServiceProcess(process.execPath, [join(projectDir, "main.ts")], {
      HOST: "127.0.0.1",
      PORT: "0",
      METRICS_PORT: "off",
      LOG_LEVEL: "info",
      // The embedded store in a directory of its own, started from the test run's template (initdb is slow).
      AGENT_DATA_DIR: join(workDir, "data"),
    });
    const url = await service.listening;
    const transport = createGrpcTransport({ baseUrl: url });
    const agent = createClient(AgentService, transport);

    const res = await agent.execute({ input: 'Where is my order? #call order_status {"orderId": "A-1001"}', prompt: "order-desk" });
    expect(res.promptVersion).toMatch(/^order-desk@[0-9a-f]{16}$/);
    const toolCall = toolCallsOf(res).find((call) => call.name === "order_status");
    expect(toolCall).toMatchObject({ status: ToolCallStatus.OK, result: "Order A-1001 shipped with DHL and is due on 2025-03-05." });
    expect(JSON.parse(toolCall?.arguments ?? "{}")).toEqual({ orderId: "A-1001" });
    expect(res.output).toContain("Order A-1001 shipped with DHL");

    // The deployment made its prompt the default: a request that names none runs it too.
    const unnamed = await agent.execute({ input: "Is SKU-1001 in stock?" });
    expect(unnamed.promptVersion).toBe(res.promptVersion);
    expect(toolCallsOf(unnamed).map((call) => call.name)).toEqual(["inventory_lookup"]);

    const { run: record } = await createClient(RunService, transport).getRun({ runId: res.runId });
    expect(record?.promptVersion).toBe(res.promptVersion);

    // The version is the deployment's text, limited to its tools, registered by start-up.
    const { version } = await createClient(PromptService, transport).getPrompt({ name: "order-desk" });
    expect(version?.id).toBe(res.promptVersion);
    expect(version?.author).toBe("startup");
    expect(version?.content?.tools).toEqual(["inventory_lookup", "order_status"]);
    expect(version?.content?.messages[0]?.template).toMatch(/^You are the order desk of Example Outfitters\./);

    // The run viewer comes with the installed package: its page and the script it names.
    const page = await fetch(`${url}/ui/`);
    expect(page.status).toBe(200);
    const script = /src="(\/ui\/assets\/viewer-[^"]+\.js)"/.exec(await page.text())?.[1];
    expect((await fetch(`${url}${script ?? "/ui/assets/missing.js"}`)).status).toBe(200);
  }, 60_000);

  it("finishes and exits 0 on SIGTERM", async () => {
    expect(service).toBeDefined();
    const running = service as ServiceProcess;
    running.child.kill("SIGTERM");
    expect(await running.exited).toBe(0);
    expect(running.logs.map((line) => line["msg"])).toContain("shut down cleanly");
    expect(running.stderr()).toBe("");
  });
});

function toolCallsOf(res: ExecuteResponse) {
  return res.steps.flatMap((step) => (step.kind.case === "toolCall" ? [step.kind.value] : []));
}
