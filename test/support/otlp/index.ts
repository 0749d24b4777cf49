/**
 * An OTLP/HTTP trace receiver for integration tests: point the service's
 * exporter at `startOtlpReceiver()` and assert on the spans it decodes.
 */
export { startOtlpReceiver } from "./otlp-receiver.js";
export type { OtlpReceiver, OtlpSignal } from "./otlp-receiver.js";
export { childrenOf, findSpan } from "./span-queries.js";
export type {
  AttributeValue,
  Attributes,
  ReceivedEvent,
  ReceivedLink,
  ReceivedSpan,
  ReceivedSpanKind,
  ReceivedStatusCode,
} from "./received-span.js";
