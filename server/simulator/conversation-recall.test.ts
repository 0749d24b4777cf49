import { describe, expect, it } from "vitest";
import type { ChatMessage } from "./chat-request.js";
import { asksForFirstQuestion, firstQuestionBefore } from "./conversation-recall.js";

describe("asksForFirstQuestion", () => {
  it.each([
    ["What was my first question?", true],
    ["what   WAS my\nfirst question", true],
    ["Remind me: what was my first question, and what is 2 + 2?", true],
    ["What was my second question?", false],
    ["What was the first question?", false],
    ["whatever was my first questionnaire", false],
  ])("%j → %s", (text, expected) => {
    expect(asksForFirstQuestion(text)).toBe(expected);
  });
});

describe("firstQuestionBefore", () => {
  const system: ChatMessage = { role: "system", content: "You are helpful." };
  const user = (content: string): ChatMessage => ({ role: "user", content });
  const assistant = (content: string): ChatMessage => ({ role: "assistant", content });

  it("is the first user message, not the system prompt nor a later question", () => {
    const messages = [system, user("What is 17 * 23?"), assistant("391"), user("And 2 + 2?"), assistant("4"), user("What was my first question?")];
    expect(firstQuestionBefore(messages, 5)).toBe("What is 17 * 23?");
  });

  it("reads text parts", () => {
    const messages: ChatMessage[] = [{ role: "user", content: [{ type: "text", text: "Hi " }, { type: "text", text: "there" }] }, user("q")];
    expect(firstQuestionBefore(messages, 1)).toBe("Hi there");
  });

  it("is undefined when the question being answered is the first", () => {
    expect(firstQuestionBefore([system, user("What was my first question?")], 1)).toBeUndefined();
  });

  it("is undefined without any user message", () => {
    expect(firstQuestionBefore([system], -1)).toBeUndefined();
  });
});
