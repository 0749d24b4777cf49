/**
 * How the simulated model words its answers. Tool results are always quoted verbatim, so callers
 * can check that an answer is grounded in what their tools returned.
 */

import type { ToolArguments } from "./tool-intents.js";

/** A tool call of this turn and the result the caller sent back for it. */
export interface ToolOutcome {
  readonly name: string;
  readonly arguments: ToolArguments | undefined;
  readonly result: string;
}

/** The longest slice of a question echoed back in a plain answer. */
const maxEchoLength = 200;

/** Whether a tool result reports a failure: it starts with "Error", in any case. */
export function isErrorResult(result: string): boolean {
  return /^\s*error/i.test(result);
}

/**
 * One sentence per tool outcome, in call order, e.g. `"17 * 23 = 391."`,
 * `"The current time in Asia/Tokyo is 09:00."`, `"Inventory for SKU-1001: {…}"`.
 */
export function answerFromToolOutcomes(outcomes: readonly ToolOutcome[]): string {
  return outcomes.map(describeOutcome).join(" ");
}

/** The answer to a question no offered tool can help with: it says what was asked. */
export function plainAnswer(question: string): string {
  const echoed = echo(question);
  if (echoed === "") return "Hello! How can I help you today?";
  return `You asked: "${echoed}". I am a simulated model; offer me the calculator, current_time or inventory_lookup tool and I will use it to answer.`;
}

/**
 * The answer to "what was my first question?" (see `conversation-recall.ts`): the first user
 * message of the conversation quoted, e.g. `Your first question was: "What is 17 * 23?".`, or
 * `You have not asked anything before.` when there is none.
 */
export function firstQuestionAnswer(firstQuestion: string | undefined): string {
  return firstQuestion === undefined ? "You have not asked anything before." : `Your first question was: "${echo(firstQuestion)}".`;
}

/** A question as an answer quotes it: whitespace collapsed, clipped to {@link maxEchoLength}. */
function echo(question: string): string {
  const echoed = question.replace(/\s+/g, " ").trim();
  return echoed.length > maxEchoLength ? `${echoed.slice(0, maxEchoLength)}…` : echoed;
}

function describeOutcome({ name, arguments: args, result }: ToolOutcome): string {
  const text = result.trim();
  if (isErrorResult(text)) return sentence(`The ${name} tool failed: ${text}`);
  switch (name) {
    case "calculator": {
      const expression = stringArgument(args, "expression");
      return sentence(expression === undefined ? `The result is ${text}` : `${expression} = ${text}`);
    }
    case "current_time": {
      const zone = stringArgument(args, "timezone");
      return sentence(zone === undefined ? `The current time is ${text}` : `The current time in ${zone} is ${text}`);
    }
    case "inventory_lookup": {
      const query = stringArgument(args, "query");
      return sentence(query === undefined ? `Inventory: ${text}` : `Inventory for ${query}: ${text}`);
    }
    default:
      return sentence(`${name} returned: ${text}`);
  }
}

function stringArgument(args: ToolArguments | undefined, key: string): string | undefined {
  const value = args?.[key];
  return typeof value === "string" && value !== "" ? value : undefined;
}

// Results that already end a sentence, or are JSON, read badly with an extra full stop.
function sentence(text: string): string {
  return /[.!?}\]"]$/.test(text) ? text : `${text}.`;
}
