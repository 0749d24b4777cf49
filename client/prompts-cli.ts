/**
 * The prompts CLI: prompt versions, activation and rollback, and experiments
 * on a running agent service, through the SDK.
 *
 *     npm run prompts -- list
 *     npm run prompts -- register support prompts/support.yaml --note "shorter answers" --activate
 *     node dist/client/prompts-cli.js rollback support        # after npm run build
 *
 * `--url` (default `AGENT_URL`, else http://127.0.0.1:8080), `--token`
 * (default `AGENT_TOKEN`, or the file `AGENT_TOKEN_FILE`), `--json` for the
 * service's answers as JSON; `--help` lists the commands. Exits 0 when the
 * command succeeded, 1 when it failed (printing the service's message, or
 * what is wrong with a file), 2 for a command line it cannot run.
 */
import { Code } from "@connectrpc/connect";
import { isConnectionFailure } from "./call-failure.js";
import { PromptsCommandError, runPromptsCommand } from "./cli/prompts-commands.js";
import { parsePromptsCommandLine, usage, UsageError } from "./cli/prompts-command-line.js";
import { PromptDefinitionFileError } from "./cli/prompt-definition-file.js";
import { createAgentClient, isAgentServiceError, type AgentServiceError } from "./index.js";

/** Deadline of each command's calls, retries included. */
const callTimeoutMs = 30_000;

async function main(): Promise<number> {
  const commandLine = parsePromptsCommandLine(process.argv.slice(2), process.env);
  if (commandLine.command.kind === "help") {
    process.stdout.write(usage);
    return 0;
  }
  const client = createAgentClient({
    baseUrl: commandLine.url,
    ...(commandLine.token === undefined ? {} : { token: commandLine.token }),
    timeoutMs: callTimeoutMs,
  });
  try {
    process.stdout.write(await runPromptsCommand(client, commandLine.command, commandLine.json));
    return 0;
  } catch (err) {
    if (isAgentServiceError(err)) {
      process.stderr.write(`prompts: ${describeServiceError(err, commandLine.url)}\n`);
      return 1;
    }
    throw err;
  } finally {
    client.close();
  }
}

/** The service's message and reason; for a call that never got an answer, where it went. */
function describeServiceError(err: AgentServiceError, url: string): string {
  if (isConnectionFailure(err)) {
    return `cannot reach the agent service at ${url} (${err.rawMessage}); is it running? --url or AGENT_URL says where`;
  }
  const hint = err.code === Code.Unauthenticated ? "; pass --token, or set AGENT_TOKEN or AGENT_TOKEN_FILE" : "";
  return `${err.rawMessage} (${err.reason})${hint}`;
}

try {
  process.exitCode = await main();
} catch (err) {
  if (err instanceof UsageError) {
    process.stderr.write(`prompts: ${err.message}\n${err.showUsage ? `\n${usage}` : "(prompts --help lists the commands and their options)\n"}`);
    process.exitCode = 2;
  } else if (err instanceof PromptDefinitionFileError || err instanceof PromptsCommandError) {
    process.stderr.write(`prompts: ${err.message}\n`);
    process.exitCode = 1;
  } else {
    process.stderr.write(`prompts: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  }
}
