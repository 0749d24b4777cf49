import type { BaseMessage } from "@langchain/core/messages";

/** A reservation for one model call, settled once the call's use is known. */
export interface TurnTicket {
  /** The call happened: what it used replaces the reservation. */
  settle(used: { readonly tokens: number; readonly costUsd: number }): void;
  /** The call did not happen (or failed before an answer): the reservation is given back. */
  release(): void;
}

/**
 * Asked by the executor before each model call, with what it sends (the
 * messages, and the tools offered, which count as input too): reserves what
 * the call may use against the run's budgets, or throws when they do not
 * allow another call.
 */
export interface TurnMeter {
  reserve(messages: readonly BaseMessage[], tools: readonly unknown[]): Promise<TurnTicket>;
}
