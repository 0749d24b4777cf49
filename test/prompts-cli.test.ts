import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAgentClient, type AgentClient } from "../client/index.js";
import { startTestService, type TestService } from "./support/test-service.js";

// The prompts CLI as an operator runs it: a child process against the real
// service, which, with no keys configured, takes it for the local dev
// principal with every role.

const repoRoot = join(import.meta.dirname, "..");

interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

let svc: TestService;
let client: AgentClient;
let dir: string;

/** Runs `prompts <args>` against the test service and resolves with its exit code and output (never rejects on a failed command). */
function cli(...args: string[]): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ["--import", "tsx", "client/prompts-cli.ts", ...args],
      // The caller's own token settings must not leak into the child.
      { cwd: repoRoot, env: { ...process.env, AGENT_URL: svc.url, AGENT_TOKEN: "", AGENT_TOKEN_FILE: "" }, timeout: 20_000 },
      (err, stdout, stderr) => {
        if (err !== null && typeof err.code !== "number") {
          reject(err);
          return;
        }
        resolve({ code: typeof err?.code === "number" ? err.code : 0, stdout, stderr });
      },
    );
  });
}

/** Writes a file into the test's directory and returns its path. */
async function file(name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

const versionOf = (output: string): string => /support@([0-9a-f]{16})/.exec(output)?.[1] ?? "";

beforeAll(async () => {
  [svc, dir] = await Promise.all([startTestService({ AGENT_CACHE: "off" }), mkdtemp(join(tmpdir(), "agent-prompts-cli-"))]);
  client = createAgentClient({ baseUrl: svc.url, retries: 0, timeoutMs: 20_000 });
});

afterAll(async () => {
  client.close();
  await svc.close();
  await rm(dir, { recursive: true, force: true });
});

describe("the prompts CLI", () => {
  const versions = { one: "", two: "" };
  let experimentId = "";

  it("registers a version from a YAML file, and says the same content is already registered", async () => {
    const one = await file(
      "support-v1.yaml",
      ["messages:", "  - role: system", "    template: You answer questions about {product}. Version one.", "inputVariables: [product]", ""].join("\n"),
    );
    const first = await cli("register", "support", one, "--note", "first version");
    expect(first).toMatchObject({ code: 0, stderr: "" });
    expect(first.stdout).toMatch(/^registered support@[0-9a-f]{16} \(a new version; active\)\n$/);
    versions.one = versionOf(first.stdout);

    const again = await cli("register", "support", one);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain(`support@${versions.one} is already registered`);
    expect(again.stdout).toContain("nothing added");

    const two = await file(
      "support-v2.yaml",
      [
        "messages:",
        "  - role: system",
        "    template: You answer questions about {product}. Version two, shorter.",
        "inputVariables: [product]",
        "model: { temperature: 0.2 }",
        "",
      ].join("\n"),
    );
    const second = await cli("register", "support", two, "--note", "shorter");
    expect(second.stdout).toMatch(/^registered support@[0-9a-f]{16} \(a new version\)\n$/);
    versions.two = versionOf(second.stdout);
    expect(versions.two).not.toBe(versions.one);
  });

  it("lists the prompts with their active versions, and shows a version's content", async () => {
    const [list, active, pinned] = await Promise.all([cli("list"), cli("show", "support"), cli("show", "support", versions.two, "--json")]);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^NAME\s+ACTIVE VERSION\s+KIND/);
    expect(list.stdout).toMatch(new RegExp(`support\\s+${versions.one}\\s+agent`));
    expect(list.stdout).toMatch(/^default\s/m);

    expect(active.stdout.split("\n")[0]).toBe(`support@${versions.one} (active)`);
    expect(active.stdout).toContain('"template": "You answer questions about {product}. Version one."');

    const answer = JSON.parse(pinned.stdout) as { version: { version: string; active: boolean; note: string } };
    expect(answer.version).toMatchObject({ version: versions.two, active: false, note: "shorter" });
  });

  it("activates a version, and rolls back to the one active before it, saying which", async () => {
    const activated = await cli("activate", "support", versions.two, "--note", "try shorter");
    expect(activated).toMatchObject({ code: 0, stdout: `activated support@${versions.two} (was ${versions.one})\n` });

    const rolledBack = await cli("rollback", "support");
    expect(rolledBack.code).toBe(0);
    expect(rolledBack.stdout).toMatch(new RegExp(`^rolled back support from ${versions.two} to ${versions.one}, the version active before it \\(activated .* by dev\\)\\n$`));
    const [shown, history] = await Promise.all([cli("show", "support"), cli("versions", "support")]);
    expect(shown.stdout.split("\n")[0]).toBe(`support@${versions.one} (active)`);
    expect(history.stdout).toContain(`rollback from ${versions.two}`);
  });

  it("diffs two versions' content line by line", async () => {
    const diff = await cli("diff", "support", versions.one, versions.two);
    expect(diff.code).toBe(0);
    const lines = diff.stdout.split("\n");
    expect(lines.slice(0, 2)).toEqual([`--- support@${versions.one}`, `+++ support@${versions.two}`]);
    expect(lines).toContain('-      "template": "You answer questions about {product}. Version one."');
    expect(lines).toContain('+      "template": "You answer questions about {product}. Version two, shorter."');
    expect(lines).toContain('+    "temperature": 0.2');
    expect(lines[2]).toMatch(/^@@ -\d+,\d+ \+\d+,\d+ @@$/);
    expect(lines).toContain('   "messages": [');
  });

  it("starts an experiment, shows its results per arm with the comparisons, lists it and stops it", async () => {
    const started = await cli("experiment", "start", "support", "--arm", `control=${versions.one}:1`, "--arm", `short=${versions.two}:1`, "--note", "is shorter better?");
    expect(started.code).toBe(0);
    experimentId = /experiment (\S+) on support \(A\/B\): running/.exec(started.stdout)?.[1] ?? "";
    expect(experimentId).not.toBe("");
    expect(started.stdout).toMatch(new RegExp(`^control\\s+${versions.one}\\s+1\\s+50%$`, "m"));
    expect(started.stdout).toMatch(new RegExp(`^short\\s+${versions.two}\\s+1\\s+50%$`, "m"));

    // Runs through the SDK, one scored, so that the results have something to count.
    const runs = await Promise.all(Array.from({ length: 4 }, (_, i) => client.execute(`What is ${i} + 1?`, { prompt: "support", variables: { product: "widgets" } })));
    expect((await client.submitFeedback(runs[0]?.runId ?? "", 5, { comment: "clear" })).first).toBe(true);
    // Runs are recorded behind their answers: wait until all four are counted.
    await expect
      .poll(async () => (await client.prompts.experimentResults(experimentId)).arms.reduce((sum, arm) => sum + Number(arm.runs), 0), { timeout: 10_000 })
      .toBe(4);

    const [results, listed] = await Promise.all([cli("experiment", "results", experimentId), cli("experiment", "list", "support")]);
    expect(results.code).toBe(0);
    expect(results.stdout).toMatch(/ARM\s+VERSION\s+RUNS\s+SUCCESS/);
    expect(results.stdout).toMatch(new RegExp(`^control\\s+${versions.one}\\s+\\d`, "m"));
    expect(results.stdout).toMatch(new RegExp(`^short\\s+${versions.two}\\s+\\d`, "m"));
    expect(results.stdout).toMatch(/^short vs control:$/m);
    expect(results.stdout).toMatch(/^ {2}success rate: .+/m);

    expect(listed.stdout).toMatch(new RegExp(`^${experimentId}\\s+support\\s+running`, "m"));

    const stopped = await cli("experiment", "stop", experimentId, "--note", "enough");
    expect(stopped.code).toBe(0);
    expect(stopped.stdout).toContain(`experiment ${experimentId} on support (A/B): stopped`);
    expect(stopped.stdout).toMatch(/^ended .* by dev: enough$/m);
  });

  it.concurrent.each([
    { problem: "a role it does not know", name: "role.yaml", text: "messages:\n  - role: robot\n    template: Beep.\n", message: /role\.yaml: messages\[0\]\.role: must be "system", "human" or "ai", got "robot"/ },
    { problem: "YAML that does not parse", name: "syntax.yaml", text: "messages: [\n", message: /syntax\.yaml is not valid YAML: / },
    { problem: "a variable it does not declare (the service's check)", name: "undeclared.yaml", text: "messages:\n  - role: system\n    template: About {product}.\n", message: /content\.messages\[0\]\.template: uses \{product\}, which is not declared.*\(INVALID_PROMPT\)/ },
  ])("refuses a file with $problem, exiting 1 with a message that says what is wrong", async ({ name, text, message }) => {
    const result = await cli("register", "support", await file(name, text));
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(message);
  });

  it("prints the service's message for a prompt that does not exist, and the usage for a command it does not know", async () => {
    const [missing, unknown] = await Promise.all([cli("show", "nope"), cli("publish", "support")]);
    expect(missing).toMatchObject({ code: 1, stdout: "" });
    expect(missing.stderr).toContain('there is no prompt "nope"; ListPrompts lists the prompts (PROMPT_NOT_FOUND)');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown command "publish"');
    expect(unknown.stderr).toContain("usage: prompts <command>");
  });
});
