import { AggregationType, InstrumentType, type ViewOptions } from "@opentelemetry/sdk-metrics";

/**
 * Bucket boundaries, in seconds, for every duration histogram: from a 5 ms
 * RPC that was rejected before any work up to a two-minute agent run, dense
 * around the 0.5–10 s where model calls and runs usually fall.
 */
export const DURATION_BUCKETS_S: readonly number[] = Object.freeze([
  0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 4, 7.5, 10, 15, 20, 30, 45, 60, 90, 120,
]);

/** Bucket boundaries for token-count histograms: one token to a million, by powers of four. */
export const TOKEN_BUCKETS: readonly number[] = Object.freeze([
  1, 4, 16, 64, 256, 1_024, 4_096, 16_384, 65_536, 262_144, 1_048_576,
]);

/**
 * Views giving histograms the buckets above, chosen by unit: `s` gets
 * {@link DURATION_BUCKETS_S}, `{token}` gets {@link TOKEN_BUCKETS}. Matching
 * by unit rather than by name means a new duration histogram needs no change
 * here; it also applies to histograms of other libraries sharing the provider.
 */
export function histogramViews(): ViewOptions[] {
  return [
    explicitBuckets("s", DURATION_BUCKETS_S),
    explicitBuckets("{token}", TOKEN_BUCKETS),
  ];
}

function explicitBuckets(unit: string, boundaries: readonly number[]): ViewOptions {
  return {
    instrumentType: InstrumentType.HISTOGRAM,
    instrumentUnit: unit,
    aggregation: {
      type: AggregationType.EXPLICIT_BUCKET_HISTOGRAM,
      options: { boundaries: [...boundaries] },
    },
  };
}
