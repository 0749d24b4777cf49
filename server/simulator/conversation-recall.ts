/**
 * Recall of earlier turns, so a test of a conversation (a thread) can see the model was sent them:
 * "what was my first question" in the latest user message makes the simulated model quote the
 * conversation's first user message (see `firstQuestionAnswer` in `final-answer.ts`).
 */

import { messageText, type ChatMessage } from "./chat-request.js";

/** The trigger: any case, any spacing between the words, anywhere in the message. */
const firstQuestionPattern = /\bwhat\s+was\s+my\s+first\s+question\b/i;

/** Whether the text asks the model to recall the conversation's first question. */
export function asksForFirstQuestion(text: string): boolean {
  return firstQuestionPattern.test(text);
}

/**
 * The text of the conversation's first user message before the one at `latestUserIndex` (the
 * question being answered), or undefined when it is the first.
 */
export function firstQuestionBefore(messages: readonly ChatMessage[], latestUserIndex: number): string | undefined {
  const first = messages.findIndex((message) => message.role === "user");
  const message = first === -1 || first >= latestUserIndex ? undefined : messages[first];
  return message === undefined ? undefined : messageText(message);
}
