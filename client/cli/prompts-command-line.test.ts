import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { defaultUrl, parsePromptsCommandLine, UsageError } from "./prompts-command-line.js";

const parse = (args: string[], env: Record<string, string> = {}) => parsePromptsCommandLine(args, env);

describe("the prompts command line", () => {
  it.each([
    { args: ["list"], command: { kind: "list" } },
    { args: ["show", "support"], command: { kind: "show", name: "support", version: undefined } },
    { args: ["register", "support", "p.yaml", "--note", "v2", "--activate"], command: { kind: "register", name: "support", file: "p.yaml", note: "v2", activate: true } },
    { args: ["rollback", "support"], command: { kind: "rollback", name: "support", note: undefined } },
    { args: ["diff", "support", "a", "b"], command: { kind: "diff", name: "support", from: "a", to: "b" } },
    {
      args: ["experiment", "start", "support", "--arm", "control=aaaa:3", "--arm", "b=bbbb", "--canary", "--auto-promote"],
      command: { kind: "experiment start", prompt: "support", arms: [{ name: "control", version: "aaaa", weight: 3 }, { name: "b", version: "bbbb", weight: 1 }], canary: true, autoPromote: true, note: "" },
    },
    { args: ["experiment", "results", "exp-1", "--after", "2025-06-01T00:00:00Z"], command: { kind: "experiment results", experimentId: "exp-1", after: new Date("2025-06-01T00:00:00Z"), before: undefined } },
    { args: ["experiment", "list"], command: { kind: "experiment list", prompt: undefined } },
  ])("parses $args", ({ args, command }) => {
    expect(parse(args).command).toEqual(command);
  });

  it.each([
    { args: [], problem: "a command is required" },
    { args: ["publish"], problem: 'unknown command "publish"' },
    { args: ["show"], problem: "show takes <name> [version]" },
    { args: ["list", "--activate"], problem: "--activate is not an option of list" },
    { args: ["list", "--colour"], problem: "--colour" },
    { args: ["experiment", "start", "support", "--arm", "control=a:1"], problem: "at least two --arm" },
    { args: ["experiment", "start", "support", "--arm", "control=a:0", "--arm", "b=b"], problem: "with a positive weight" },
    { args: ["experiment", "start", "support", "--arm", "a=a", "--arm", "b=b", "--auto-promote"], problem: "--auto-promote needs --canary" },
    { args: ["experiment", "results", "e", "--after", "yesterday"], problem: "--after yesterday: must be a time" },
    { args: ["list", "--url", "127.0.0.1:8080"], problem: "must be a URL such as http://127.0.0.1:8080" },
    { args: ["list", "--url", "ftp://agent"], problem: "must be an http:// or https:// URL" },
  ])("refuses $args: $problem", ({ args, problem }) => {
    expect(() => parse(args)).toThrow(UsageError);
    expect(() => parse(args)).toThrow(problem);
  });

  it("takes the service from --url, else AGENT_URL, else loopback", () => {
    expect(parse(["list"]).url).toBe(defaultUrl);
    expect(parse(["list"], { AGENT_URL: "http://agent:8080" }).url).toBe("http://agent:8080");
    expect(parse(["list", "--url", "https://a.example"], { AGENT_URL: "http://agent:8080" }).url).toBe("https://a.example");
  });

  it("takes the token from --token, else AGENT_TOKEN or the file AGENT_TOKEN_FILE, but not both", async () => {
    const dir = await mkdtemp(join(tmpdir(), "prompts-cli-token-"));
    try {
      const tokenFile = join(dir, "token");
      await writeFile(tokenFile, "from-file\n");
      expect(parse(["list"]).token).toBeUndefined();
      expect(parse(["list"], { AGENT_TOKEN: "from-env" }).token).toBe("from-env");
      expect(parse(["list"], { AGENT_TOKEN_FILE: tokenFile }).token).toBe("from-file");
      expect(parse(["list", "--token", "flag"], { AGENT_TOKEN: "from-env" }).token).toBe("flag");
      expect(() => parse(["list"], { AGENT_TOKEN: "a", AGENT_TOKEN_FILE: tokenFile })).toThrow("must not be set together with AGENT_TOKEN");
      expect(() => parse(["list"], { AGENT_TOKEN_FILE: join(dir, "missing") })).toThrow("AGENT_TOKEN_FILE: cannot read");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
