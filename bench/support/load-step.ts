import type { OpenLoopResult } from "./open-loop.js";
import type { Summary } from "./stats.js";

/** Wire protocols the load generator speaks to the service (both over HTTP/2). */
export type LoadProtocol = "connect" | "grpc";

/** Fixed-rate Execute calls through the service. */
export interface ExecuteStep {
  readonly kind: "execute";
  readonly target: string;
  readonly protocol: LoadProtocol;
  readonly input: string;
  readonly ratePerSecond: number;
  readonly durationMs: number;
  readonly warmupMs: number;
}

/** Fixed-rate chat completions straight to the simulator, the body the service would send. */
export interface DirectStep {
  readonly kind: "direct";
  /** The simulator's base URL, ending in `/v1`. */
  readonly target: string;
  readonly body: string;
  readonly ratePerSecond: number;
  readonly durationMs: number;
  readonly warmupMs: number;
}

/** `streams` concurrent Stream calls through the service, opened over `rampMs`. */
export interface StreamsStep {
  readonly kind: "streams";
  readonly target: string;
  readonly protocol: LoadProtocol;
  readonly input: string;
  readonly streams: number;
  readonly rampMs: number;
  /** A gap between two deltas of one stream longer than this is a stall. */
  readonly stallMs: number;
}

/** `streams` concurrent streamed chat completions straight to the simulator. */
export interface DirectStreamsStep {
  readonly kind: "direct-streams";
  readonly target: string;
  readonly body: string;
  readonly streams: number;
  readonly rampMs: number;
  readonly stallMs: number;
}

/**
 * Fixed-rate mixed traffic through the service, for the soak: half `Execute` with a new input
 * each (cache misses that fill and churn the cache), a fifth `Execute` of one input (cache
 * hits), a fifth `Stream` read to the end, a tenth `Stream` cancelled after its first delta.
 */
export interface MixedStep {
  readonly kind: "mixed";
  readonly target: string;
  readonly ratePerSecond: number;
  readonly durationMs: number;
  readonly warmupMs: number;
}

/** One step the load generator process runs. */
export type LoadStep = ExecuteStep | DirectStep | StreamsStep | DirectStreamsStep | MixedStep;

/** How a step of concurrent streams went. */
export interface StreamsResult {
  readonly streams: number;
  readonly completed: number;
  readonly errors: number;
  readonly errorSamples: readonly string[];
  /** Streams with a gap longer than `stallMs` between two deltas. */
  readonly stalled: number;
  readonly maxGapMs: number;
  /** Time from a stream's start to its first text, in milliseconds. */
  readonly timeToFirstToken: Summary;
  /** The fewest text deltas any completed stream had. */
  readonly minDeltas: number;
  /** Most streams open at one moment. */
  readonly peakOpen: number;
  readonly durationMs: number;
}

/** What the load generator answers to a step. */
export type LoadResult = OpenLoopResult | StreamsResult;
