import { describe, expect, it } from "vitest";
import type { ChatMessage, ChatTool } from "./chat-request.js";
import { planTurn, type PlannedTurn } from "./planner.js";

const tool = (name: string): ChatTool => ({ type: "function", function: { name } });
const allTools = [tool("calculator"), tool("current_time"), tool("inventory_lookup")];

const system = (content: string): ChatMessage => ({ role: "system", content });
const user = (content: string): ChatMessage => ({ role: "user", content });
const assistantCalls = (...calls: Array<[id: string, name: string, args: string]>): ChatMessage => ({
  role: "assistant",
  content: null,
  tool_calls: calls.map(([id, name, args]) => ({ id, type: "function", function: { name, arguments: args } })),
});
const toolResult = (id: string, content: string): ChatMessage => ({ role: "tool", tool_call_id: id, content });
const assistant = (content: string): ChatMessage => ({ role: "assistant", content });

const calls = (...planned: Array<[name: string, args: Record<string, unknown>]>): PlannedTurn => ({
  kind: "tool-calls",
  calls: planned.map(([name, args]) => ({ name, arguments: args })),
});
const answer = (content: string): PlannedTurn => ({ kind: "answer", content });

describe("planTurn", () => {
  describe.each<[string, ChatMessage[], ChatTool[], PlannedTurn]>([
    [
      "calls the calculator with the expression in the question",
      [system("You are helpful."), user("What is 17 * 23?")],
      allTools,
      calls(["calculator", { expression: "17 * 23" }]),
    ],
    [
      "asks for the time in the zone of a named city",
      [user("What time is it in Tokyo?")],
      allTools,
      calls(["current_time", { timezone: "Asia/Tokyo" }]),
    ],
    [
      "calls a tool it does not know when a #call directive names it, with the directive's arguments",
      [user('Forecast please: #call weather_forecast {"city": "Oslo"}')],
      [...allTools, tool("weather_forecast")],
      calls(["weather_forecast", { city: "Oslo" }]),
    ],
    [
      "ignores a #call directive for a tool it is not offered",
      [user("#call weather_forecast")],
      allTools,
      answer('You asked: "#call weather_forecast". I am a simulated model; offer me the calculator, current_time or inventory_lookup tool and I will use it to answer.'),
    ],
    [
      "looks up a SKU",
      [user("Is SKU-1001 in stock?")],
      allTools,
      calls(["inventory_lookup", { query: "SKU-1001" }]),
    ],
    [
      "makes parallel calls in calculator, time, inventory order",
      [user("Is SKU-7 in stock, what time is it in Paris, and what is (2 + 3) * 4?")],
      allTools,
      calls(
        ["calculator", { expression: "(2 + 3) * 4" }],
        ["current_time", { timezone: "Europe/Paris" }],
        ["inventory_lookup", { query: "SKU-7" }],
      ),
    ],
    [
      "only calls tools that are offered",
      [user("What is 17 * 23 and what time is it?")],
      [tool("current_time")],
      calls(["current_time", { timezone: "UTC" }]),
    ],
    [
      "answers in text when no tool is offered",
      [user("What is 17 * 23?")],
      [],
      answer(
        'You asked: "What is 17 * 23?". I am a simulated model; offer me the calculator, current_time or inventory_lookup tool and I will use it to answer.',
      ),
    ],
    [
      "answers with the tool result quoted",
      [user("What is 17 * 23?"), assistantCalls(["c1", "calculator", '{"expression":"17 * 23"}']), toolResult("c1", "391")],
      allTools,
      answer("17 * 23 = 391."),
    ],
    [
      "answers one sentence per result, in call order",
      [
        user("What time is it in Tokyo and is SKU-1 in stock?"),
        assistantCalls(
          ["t1", "current_time", '{"timezone":"Asia/Tokyo"}'],
          ["i1", "inventory_lookup", '{"query":"SKU-1"}'],
        ),
        toolResult("t1", "2025-01-01 09:00"),
        toolResult("i1", '{"sku":"SKU-1","quantity":4}'),
      ],
      allTools,
      answer('The current time in Asia/Tokyo is 2025-01-01 09:00. Inventory for SKU-1: {"sku":"SKU-1","quantity":4}'),
    ],
    [
      "retries a failed call with valid arguments",
      [user("What is 17 * 23?"), assistantCalls(["c1", "calculator", '{"expression":"17 * 23"']), toolResult("c1", "Error: invalid JSON")],
      allTools,
      calls(["calculator", { expression: "17 * 23" }]),
    ],
    [
      "retries only the failed call of a parallel turn",
      [
        user("What is 2 + 2 and what time is it?"),
        assistantCalls(["c1", "calculator", '{"expression":"2 + 2"}'], ["t1", "current_time", '{"timezone":"UTC"']),
        toolResult("c1", "4"),
        toolResult("t1", "error: bad arguments"),
      ],
      allTools,
      calls(["current_time", { timezone: "UTC" }]),
    ],
    [
      "answers with the retry's result in the failed call's place",
      [
        user("What is 2 + 2 and what time is it?"),
        assistantCalls(["c1", "calculator", '{"expression":"2 + 2"}'], ["t1", "current_time", '{"timezone":"UTC"']),
        toolResult("c1", "4"),
        toolResult("t1", "Error: bad arguments"),
        assistantCalls(["t2", "current_time", '{"timezone":"UTC"}']),
        toolResult("t2", "12:00"),
      ],
      allTools,
      answer("2 + 2 = 4. The current time in UTC is 12:00."),
    ],
    [
      "gives up after one retry and reports the error",
      [
        user("What is 1 / 0?"),
        assistantCalls(["c1", "calculator", '{"expression":"1 / 0"}']),
        toolResult("c1", "Error: division by zero"),
        assistantCalls(["c2", "calculator", '{"expression":"1 / 0"}']),
        toolResult("c2", "Error: division by zero"),
      ],
      allTools,
      answer("The calculator tool failed: Error: division by zero."),
    ],
    [
      "keeps calling the first offered tool on #loop, even after results",
      [user("#loop what is 2 + 2"), assistantCalls(["c1", "calculator", '{"expression":"1 + 1"}']), toolResult("c1", "2")],
      allTools,
      calls(["calculator", { expression: "1 + 1" }]),
    ],
    [
      "loops on whichever tool is offered first",
      [user("#loop")],
      [tool("inventory_lookup"), tool("calculator")],
      calls(["inventory_lookup", { query: "SKU-1001" }]),
    ],
    [
      "quotes the conversation's first question when asked for it",
      [system("You are helpful."), user("What is 17 * 23?"), assistant("391"), user("Thanks."), assistant("You're welcome."), user("What was my first question?")],
      allTools,
      answer('Your first question was: "What is 17 * 23?".'),
    ],
    [
      "recalls the first question instead of calling a tool the same message asks for",
      [user("Is SKU-1 in stock?"), assistant("Yes."), user("What was my first question, and what is 2 + 2?")],
      allTools,
      answer('Your first question was: "Is SKU-1 in stock?".'),
    ],
    [
      "says there was no earlier question when the recall question is the first",
      [system("You are helpful."), user("what was my first question?")],
      allTools,
      answer("You have not asked anything before."),
    ],
    [
      "greets when there is no user message",
      [system("You are helpful.")],
      allTools,
      answer("Hello! How can I help you today?"),
    ],
  ])("%s", (_behaviour, messages, tools, expected) => {
    it("plans the expected turn", () => {
      expect(planTurn({ messages, tools })).toEqual(expected);
    });
  });

  describe("with a json_schema response format", () => {
    const responseFormat = { name: "answer", schema: { type: "object", properties: { answer: { type: "string" } }, required: ["answer"] } };

    it("answers with the schema's example instead of the free answer", () => {
      expect(planTurn({ messages: [user("Hello")], tools: [], responseFormat })).toEqual(answer('{\n  "answer": "text"\n}'));
    });

    it("answers #invalid-json in the latest user message with the example cut short", () => {
      expect(planTurn({ messages: [user("Hello #invalid-json")], tools: [], responseFormat })).toEqual(answer('{\n  "answer": "text"\n'));
    });

    it("answers the message after a #invalid-json one with the whole example", () => {
      const messages = [user("Hello #invalid-json"), assistant('{\n  "answer": "text"\n'), user("Reply with JSON only.")];
      expect(planTurn({ messages, tools: [], responseFormat })).toEqual(answer('{\n  "answer": "text"\n}'));
    });

    it("leaves tool calls as they are", () => {
      expect(planTurn({ messages: [user("What is 6 * 7?")], tools: allTools, responseFormat })).toEqual(calls(["calculator", { expression: "6 * 7" }]));
    });
  });

  it("reads text from content parts", () => {
    const messages: ChatMessage[] = [{ role: "user", content: [{ type: "text", text: "What is 6 * 7?" }] }];
    expect(planTurn({ messages, tools: allTools })).toEqual(calls(["calculator", { expression: "6 * 7" }]));
  });
});
