import { AIMessage, type BaseMessage, HumanMessage, SystemMessage } from "@langchain/core/messages";
import { ChatPromptTemplate, MessagesPlaceholder } from "@langchain/core/prompts";
import { describe, expect, it } from "vitest";
import type { PromptContent } from "./prompt-content.js";
import { definePromptContent } from "./prompt-definition.js";
import { isPromptDefinitionError } from "./prompt-definition-error.js";
import { compilePrompt, isPromptVariablesError, PromptVariablesError, renderPrompt } from "./prompt-render.js";

const define = (raw: unknown) => definePromptContent(raw, { knownTools: new Set() });

/** Each message as `role: text`, to compare renders at a glance. */
function transcript(messages: readonly BaseMessage[]): string[] {
  return messages.map((message) => `${message.type}: ${String(message.content)}`);
}

/** The error `render` throws; fails the test when it does not throw one. */
function variablesErrorOf(render: () => unknown): PromptVariablesError {
  try {
    render();
  } catch (err) {
    if (isPromptVariablesError(err)) {
      return err;
    }
    throw err;
  }
  throw new Error("the render did not throw");
}

const helpdesk = define({
  messages: [
    { role: "system", template: "You help the {team} team. Answer in {language}." },
    { role: "human", template: "Task: {input}" },
  ],
  inputVariables: ["team", "language"],
});

const history = [new HumanMessage("What is 2 + 2?"), new AIMessage("4")];

describe("renderPrompt", () => {
  it("fills the templates with the variables and the input", () => {
    const messages = renderPrompt(helpdesk, { input: "reset my password", variables: { team: "billing", language: "French" } });

    expect(messages[0]).toBeInstanceOf(SystemMessage);
    expect(messages[1]).toBeInstanceOf(HumanMessage);
    expect(transcript(messages)).toEqual(["system: You help the billing team. Answer in French.", "human: Task: reset my password"]);
  });

  it("sends the input as a last human message when no template uses {input}", () => {
    const content = define({ messages: [{ role: "system", template: "Be brief." }] });

    expect(transcript(renderPrompt(content, { input: "hello" }))).toEqual(["system: Be brief.", "human: hello"]);
  });

  it("renders ai messages as AIMessage", () => {
    const content = define({ messages: [{ role: "system", template: "Classify." }, { role: "human", template: "Win money" }, { role: "ai", template: "spam" }] });

    expect(renderPrompt(content, { input: "Lunch?" })[2]).toBeInstanceOf(AIMessage);
  });

  describe("places a thread's earlier turns", () => {
    it("after the leading system messages, before the examples and the input", () => {
      const content = define({
        messages: [
          { role: "system", template: "Rule one." },
          { role: "system", template: "Rule two." },
          { role: "human", template: "Example question" },
          { role: "ai", template: "Example answer" },
          { role: "human", template: "{input}" },
        ],
      });

      expect(transcript(renderPrompt(content, { input: "now", history }))).toEqual([
        "system: Rule one.",
        "system: Rule two.",
        "human: What is 2 + 2?",
        "ai: 4",
        "human: Example question",
        "ai: Example answer",
        "human: now",
      ]);
    });

    it("after every message when all are system messages, then the input", () => {
      const content = define({ messages: [{ role: "system", template: "Be brief." }] });

      expect(transcript(renderPrompt(content, { input: "now", history }))).toEqual(["system: Be brief.", "human: What is 2 + 2?", "ai: 4", "human: now"]);
    });

    it("first when the template starts with no system message", () => {
      const content = define({ messages: [{ role: "human", template: "Question: {input}" }] });

      expect(transcript(renderPrompt(content, { input: "now", history }))).toEqual(["human: What is 2 + 2?", "ai: 4", "human: Question: now"]);
    });

    it("as the same message objects, in order", () => {
      const messages = renderPrompt(define({ messages: [{ role: "system", template: "Hi" }] }), { input: "x", history });

      expect(messages[1]).toBe(history[0]);
      expect(messages[2]).toBe(history[1]);
    });
  });

  it("writes {{ and }} as braces", () => {
    const content = define({ messages: [{ role: "system", template: 'Reply as {{"answer": "..."}} for {team}.' }], inputVariables: ["team"] });

    expect(transcript(renderPrompt(content, { input: "x", variables: { team: "ops" } }))[0]).toBe('system: Reply as {"answer": "..."} for ops.');
  });

  it("inserts values literally: braces in a value or the input are never read as a template", () => {
    const content = define({
      messages: [
        { role: "system", template: "Team: {team}." },
        { role: "human", template: "{input} / {language}" },
      ],
      inputVariables: ["language", "team"],
    });

    const messages = renderPrompt(content, { input: "{team} {{x}} {", variables: { team: "{input} {language} {{y}} }", language: "{team}" } });

    expect(transcript(messages)).toEqual(["system: Team: {input} {language} {{y}} }.", "human: {team} {{x}} { / {team}"]);
  });

  it("renders what LangChain's ChatPromptTemplate renders for the same template", async () => {
    const template = 'Use {{braces}} as {{ and }}; team {team}, {{"k": {language}}}';
    const content = define({ messages: [{ role: "system", template }, { role: "human", template: "{input}!" }], inputVariables: ["team", "language"] });
    const langchain = ChatPromptTemplate.fromMessages([["system", template], new MessagesPlaceholder("history"), ["human", "{input}!"]]);
    const values = { team: "ops", language: "en" };

    const expected = await langchain.formatMessages({ ...values, input: "go", history });

    expect(transcript(renderPrompt(content, { input: "go", variables: values, history }))).toEqual(transcript(expected));
  });

  it("returns a new list each time, so a caller may add to it", () => {
    const content = define({ messages: [{ role: "system", template: "Hi" }] });
    const first = renderPrompt(content, { input: "a" });
    first.push(new HumanMessage("extra"));

    expect(transcript(renderPrompt(content, { input: "a" }))).toEqual(["system: Hi", "human: a"]);
  });

  describe("given variables that do not match the declared ones", () => {
    it.each<[string, Record<string, string>, string[], string[], string]>([
      ["one missing", { team: "billing" }, ["language"], [], 'prompt variables: missing a value for "language" (it declares "language", "team")'],
      ["all missing", {}, ["language", "team"], [], 'prompt variables: missing a value for "language", "team" (it declares "language", "team")'],
      [
        "one not declared",
        { team: "billing", language: "French", colour: "blue" },
        [],
        ["colour"],
        'prompt variables: "colour" is not declared by the prompt version (it declares "language", "team")',
      ],
      [
        "one missing and two not declared",
        { team: "billing", tone: "dry", colour: "blue" },
        ["language"],
        ["colour", "tone"],
        'prompt variables: missing a value for "language"; "colour", "tone" are not declared by the prompt version (it declares "language", "team")',
      ],
      ["input given as a variable", { team: "billing", language: "French", input: "x" }, [], ["input"], '"input" is not declared by the prompt version'],
    ])("refuses %s, naming them", (_, variables, missing, unexpected, message) => {
      const error = variablesErrorOf(() => renderPrompt(helpdesk, { input: "x", variables }));

      expect(error).toBeInstanceOf(PromptVariablesError);
      expect(error.missing).toEqual(missing);
      expect(error.unexpected).toEqual(unexpected);
      expect(error.message).toContain(message);
    });

    it("counts a variable given as undefined as missing", () => {
      const variables = { team: "billing", language: undefined } as unknown as Record<string, string>;

      expect(variablesErrorOf(() => renderPrompt(helpdesk, { input: "x", variables })).missing).toEqual(["language"]);
    });

    it("says when the version declares no variables", () => {
      const content = define({ messages: [{ role: "system", template: "Hi" }] });

      expect(variablesErrorOf(() => renderPrompt(content, { input: "x", variables: { team: "a" } })).message).toBe(
        'prompt variables: "team" is not declared by the prompt version (it declares no variables)',
      );
    });
  });
});

describe("compilePrompt", () => {
  it("compiles each content once", () => {
    expect(compilePrompt(helpdesk)).toBe(compilePrompt(helpdesk));
  });

  it("checks a run's variables without rendering", () => {
    const compiled = compilePrompt(helpdesk);

    expect(compiled.check({ team: "billing", language: "French" })).toBeUndefined();
    expect(compiled.check({ team: "billing" })).toMatchObject({ missing: ["language"], unexpected: [] });
  });

  it("renders the same messages as renderPrompt", () => {
    const request = { input: "x", variables: { team: "a", language: "b" }, history };

    expect(transcript(compilePrompt(helpdesk).render(request))).toEqual(transcript(renderPrompt(helpdesk, request)));
  });

  it("refuses content whose template uses a variable it does not declare", () => {
    const byHand: PromptContent = { kind: "agent", messages: [{ role: "system", template: "Hi {name}" }], inputVariables: [], model: {}, tools: [] };

    let thrown: unknown;
    try {
      compilePrompt(byHand);
    } catch (err) {
      thrown = err;
    }

    expect(isPromptDefinitionError(thrown)).toBe(true);
    expect(thrown).toMatchObject({ field: "messages[0].template", message: expect.stringContaining("uses {name}") as unknown });
  });
});
