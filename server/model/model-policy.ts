import {
  CircuitState,
  ConsecutiveBreaker,
  DelegateBackoff,
  SamplingBreaker,
  TimeoutStrategy,
  circuitBreaker,
  handleWhen,
  retry,
  timeout,
  wrap,
  type IRetryBackoffContext,
} from "cockatiel";
import { AttemptTimeoutError, createAttemptSignal } from "./attempt-signal.js";
import { CallCanceledError, isMidStreamError, MidStreamError } from "./model-call-errors.js";
import { classifyModelFailure } from "./model-failure.js";
import { retryAfterMsOf } from "./retry-after.js";

/** Resilience knobs of one model. Defaults apply in {@link resolveModelPolicyOptions}. */
export interface ModelPolicyOptions {
  /** Time one attempt may take, request to last chunk. Default 30,000 ms. */
  readonly attemptTimeoutMs?: number;
  /** Time all attempts on this model may take together, waits included. Default 60,000 ms. */
  readonly totalTimeoutMs?: number;
  /** Retries after the first attempt. Default 2. */
  readonly maxRetries?: number;
  /** First backoff ceiling; each retry doubles it (full jitter). Default 250 ms. */
  readonly initialBackoffMs?: number;
  /** Highest backoff ceiling. Default 10,000 ms. */
  readonly maxBackoffMs?: number;
  /** Longest `Retry-After` honoured; a longer one is cut to this. Default 20,000 ms. */
  readonly retryAfterCapMs?: number;
  /** Consecutive model faults that open the breaker (unless `breakerErrorRate` is set). Default 5. */
  readonly breakerThreshold?: number;
  /**
   * Share of failed calls, between 0 and 1 exclusive, that opens the breaker
   * when measured over `breakerSamplingMs`; replaces the consecutive count.
   * Default unset (consecutive).
   */
  readonly breakerErrorRate?: number | undefined;
  /** Window over which `breakerErrorRate` is measured. Default 30,000 ms. */
  readonly breakerSamplingMs?: number;
  /**
   * Calls per second needed in the window before `breakerErrorRate` can open
   * the breaker, so two failures at night do not. Default: cockatiel's, enough
   * for five failures a second.
   */
  readonly breakerMinimumRps?: number | undefined;
  /** Time an open breaker waits before letting one probe call through. Default 30,000 ms. */
  readonly breakerHalfOpenAfterMs?: number;
}

/** {@link ModelPolicyOptions} with every default applied. */
export interface ResolvedModelPolicyOptions {
  readonly attemptTimeoutMs: number;
  readonly totalTimeoutMs: number;
  readonly maxRetries: number;
  readonly initialBackoffMs: number;
  readonly maxBackoffMs: number;
  readonly retryAfterCapMs: number;
  readonly breakerThreshold: number;
  readonly breakerHalfOpenAfterMs: number;
  readonly breakerErrorRate: number | undefined;
  readonly breakerSamplingMs: number;
  readonly breakerMinimumRps: number | undefined;
}

/** Applies the defaults documented on {@link ModelPolicyOptions}. */
export function resolveModelPolicyOptions(options: ModelPolicyOptions = {}): ResolvedModelPolicyOptions {
  return {
    attemptTimeoutMs: options.attemptTimeoutMs ?? 30_000,
    totalTimeoutMs: options.totalTimeoutMs ?? 60_000,
    maxRetries: options.maxRetries ?? 2,
    initialBackoffMs: options.initialBackoffMs ?? 250,
    maxBackoffMs: options.maxBackoffMs ?? 10_000,
    retryAfterCapMs: options.retryAfterCapMs ?? 20_000,
    breakerThreshold: options.breakerThreshold ?? 5,
    breakerHalfOpenAfterMs: options.breakerHalfOpenAfterMs ?? 30_000,
    breakerErrorRate: options.breakerErrorRate,
    breakerSamplingMs: options.breakerSamplingMs ?? 30_000,
    breakerMinimumRps: options.breakerMinimumRps,
  };
}

/** State of a model's circuit breaker. */
export type BreakerState = "closed" | "open" | "half-open";

/** What the policy reports, for logs, metrics and health. */
export type ModelPolicyEvent =
  | { readonly type: "retry"; readonly attempt: number; readonly delayMs: number; readonly error: unknown }
  | { readonly type: "breaker"; readonly state: BreakerState };

/** The context one attempt runs with. */
export interface AttemptContext {
  /** Aborts when the caller does, or when the attempt or the model's total time is up. */
  readonly signal: AbortSignal;
  /** Attempt number on this model, starting at 1. */
  readonly attempt: number;
  /**
   * Stops the attempt's timeout clock until the returned function is called,
   * while the attempt waits for its caller rather than for the model.
   */
  readonly pauseClock: () => () => void;
}

/** The resilience policy of one model, built once and shared by every run. */
export interface ModelPolicy {
  /**
   * Runs `fn` under the policy: total timeout → retry → breaker → attempt
   * timeout. Rejects with cockatiel's `BrokenCircuitError` without calling
   * `fn` while the breaker is open, and with `signal.reason` when the caller
   * aborts.
   */
  execute<T>(fn: (context: AttemptContext) => Promise<T>, signal: AbortSignal): Promise<T>;
  /** Current breaker state; an open breaker whose cool-down is over reads as half-open. */
  breakerState(): BreakerState;
  /** Subscribes to retries and breaker changes; returns the unsubscribe function. */
  subscribe(listener: (event: ModelPolicyEvent) => void): () => void;
}

/** Options of {@link createModelPolicy} besides the knobs. */
export interface ModelPolicyDependencies {
  /** Random number in [0, 1) for jitter. Default `Math.random`. */
  readonly random?: () => number;
}

/** Creates the policy of one model from its knobs. */
export function createModelPolicy(options: ModelPolicyOptions = {}, deps: ModelPolicyDependencies = {}): ModelPolicy {
  const o = resolveModelPolicyOptions(options);
  const random = deps.random ?? Math.random;

  const backoff = new DelegateBackoff<IRetryBackoffContext<unknown>>((context) => {
    const error = "error" in context.result ? context.result.error : undefined;
    const asked = retryAfterMsOf(error);
    if (asked !== undefined) {
      return Math.min(asked, o.retryAfterCapMs);
    }
    // Exponential backoff with full jitter: uniform in [0, ceiling).
    const ceiling = Math.min(o.maxBackoffMs, o.initialBackoffMs * 2 ** (context.attempt - 1));
    return Math.floor(random() * ceiling);
  });
  // One classifier decides both, so the retry and the breaker never disagree on what a failure means.
  const retryPolicy = retry(
    handleWhen((err) => classifyModelFailure(err).retryable),
    { maxAttempts: o.maxRetries, backoff },
  );
  const breaker = circuitBreaker(handleWhen((err) => classifyModelFailure(err).countsAgainstModel), {
    breaker:
      o.breakerErrorRate === undefined
        ? new ConsecutiveBreaker(o.breakerThreshold)
        : new SamplingBreaker({
            threshold: o.breakerErrorRate,
            duration: o.breakerSamplingMs,
            ...(o.breakerMinimumRps === undefined ? {} : { minimumRps: o.breakerMinimumRps }),
          }),
    halfOpenAfter: o.breakerHalfOpenAfterMs,
  });
  // The attempt timeout is not a cockatiel TimeoutPolicy: that one reports a
  // caller's abort as a timeout too, and the breaker must never count a
  // caller who hung up against the model. See `execute` below.
  const policy = wrap(timeout(o.totalTimeoutMs, TimeoutStrategy.Aggressive), retryPolicy, breaker);

  const listeners = new Set<(event: ModelPolicyEvent) => void>();
  let reportedBreaker: BreakerState = "closed";
  const emit = (event: ModelPolicyEvent) => {
    // Breaker events only on a change of what we report (the cool-down timer
    // and cockatiel may both announce the same half-open).
    if (event.type === "breaker") {
      if (event.state === reportedBreaker) {
        return;
      }
      reportedBreaker = event.state;
    }
    listeners.forEach((listener) => listener(event));
  };
  retryPolicy.onRetry((event) =>
    emit({ type: "retry", attempt: event.attempt, delayMs: event.delay, error: "error" in event ? event.error : undefined }),
  );
  // cockatiel half-opens a breaker only when the next call arrives. A replica
  // whose breakers are all open reports NOT_SERVING and gets no calls, so it
  // would never probe: after the cool-down we report the breaker as half-open
  // ourselves (the next call is the probe) and say so, so health recovers.
  let openedAt: number | undefined;
  let probeTimer: NodeJS.Timeout | undefined;
  breaker.onStateChange((state) => {
    clearTimeout(probeTimer);
    if (state === CircuitState.Open) {
      openedAt = Date.now();
      probeTimer = setTimeout(() => emit({ type: "breaker", state: "half-open" }), o.breakerHalfOpenAfterMs);
      probeTimer.unref();
    } else {
      openedAt = undefined;
    }
    emit({ type: "breaker", state: breakerStateOf(state) });
  });
  const currentBreakerState = (): BreakerState => {
    const state = breakerStateOf(breaker.state);
    return state === "open" && openedAt !== undefined && Date.now() - openedAt >= o.breakerHalfOpenAfterMs
      ? "half-open"
      : state;
  };

  return {
    execute(fn, signal) {
      return policy.execute(async (context) => {
        // cockatiel counts attempts from 0 and passes the retry's count down the wrap.
        const attempt = "attempt" in context && typeof context.attempt === "number" ? context.attempt + 1 : 1;
        const attemptSignal = createAttemptSignal(context.signal, o.attemptTimeoutMs);
        try {
          return await fn({ signal: attemptSignal.signal, attempt, pauseClock: attemptSignal.pauseClock });
        } catch (err) {
          if (signal.aborted) {
            // The caller's reason may be any value: wrapped, so that the retry
            // and the breaker see a cancellation, never a model fault. Unwrapped below.
            throw new CallCanceledError(signal.reason);
          }
          if (attemptSignal.timedOut()) {
            // A timeout after text was streamed is still a mid-stream failure:
            // never retried on this model, or the caller would get the text twice.
            const timeout = new AttemptTimeoutError(o.attemptTimeoutMs);
            throw isMidStreamError(err) ? new MidStreamError(timeout) : timeout;
          }
          throw err;
        } finally {
          attemptSignal.dispose();
        }
      }, signal).catch((err: unknown) => {
        // The total timeout reports a caller's abort as "timed out": give the caller's reason instead.
        throw signal.aborted ? signal.reason : err;
      });
    },
    breakerState: currentBreakerState,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

function breakerStateOf(state: CircuitState): BreakerState {
  switch (state) {
    case CircuitState.Closed:
      return "closed";
    case CircuitState.HalfOpen:
      return "half-open";
    case CircuitState.Open:
    case CircuitState.Isolated:
      return "open";
  }
}
