import type { TurnTicket } from "../agent/turn-meter.js";

/**
 * What one principal's limits let a run do, asked by the run lifecycle: a
 * place among the principal's concurrent runs, and tokens for each model
 * call. The implementation (per-principal limits, shared by replicas) lives
 * with the service; the lifecycle only asks.
 */
export interface RunAdmission {
  /** Takes one of the principal's concurrent runs; returns the function that gives it back. Throws `LimitExceededError`. */
  acquireRun(): Promise<() => void>;
  /**
   * Reserves `tokens` of the principal's budget before a model call (throws
   * `LimitExceededError` when they are not left); the ticket settles what the
   * call used after it, or gives the reservation back if it never happened.
   */
  reserveTurn(tokens: number): Promise<TurnTicket>;
}
