import type {
  DecodedAnyValue,
  DecodedEvent,
  DecodedExportTraceRequest,
  DecodedKeyValue,
  DecodedLink,
  DecodedSpan,
} from "./otlp-trace-schema.js";

/**
 * An OTLP `AnyValue`, flattened: strings, booleans and doubles as they are;
 * `int_value` as a `number` when it is a safe integer, else a `bigint`;
 * `bytes_value` as a `Uint8Array`; arrays as arrays; key/value lists as
 * records; and the empty value as `null`. The JavaScript SDK only produces
 * primitives and arrays of them.
 */
export type AttributeValue =
  | string
  | number
  | boolean
  | bigint
  | Uint8Array
  | null
  | readonly AttributeValue[]
  | { readonly [key: string]: AttributeValue };

/** Attributes by key; when a key repeats, the last value wins. */
export type Attributes = Readonly<Record<string, AttributeValue>>;

/** `Span.SpanKind`, without its prefix and in lower case. */
export type ReceivedSpanKind = "unspecified" | "internal" | "server" | "client" | "producer" | "consumer";

/** `Status.StatusCode`, without its prefix and in lower case. */
export type ReceivedStatusCode = "unset" | "ok" | "error";

/** A span event. */
export interface ReceivedEvent {
  readonly name: string;
  readonly timeUnixNano: bigint;
  readonly attributes: Attributes;
}

/** A link from a span to another span context. */
export interface ReceivedLink {
  /** Lowercase hex. */
  readonly traceId: string;
  /** Lowercase hex. */
  readonly spanId: string;
  readonly traceState: string;
  readonly attributes: Attributes;
}

/** One exported span, decoded and flattened for assertions. */
export interface ReceivedSpan {
  /** 32 lowercase hex digits. */
  readonly traceId: string;
  /** 16 lowercase hex digits. */
  readonly spanId: string;
  /** 16 lowercase hex digits; `undefined` for a root span. */
  readonly parentSpanId: string | undefined;
  /** W3C `tracestate`; empty when there is none. */
  readonly traceState: string;
  /** OTLP span flags: bits 0-7 are the W3C trace flags (1 = sampled), bits 8-9 say whether the parent is remote. */
  readonly flags: number;
  readonly name: string;
  readonly kind: ReceivedSpanKind;
  readonly startTimeUnixNano: bigint;
  readonly endTimeUnixNano: bigint;
  readonly attributes: Attributes;
  readonly status: { readonly code: ReceivedStatusCode; readonly message: string };
  readonly events: readonly ReceivedEvent[];
  readonly links: readonly ReceivedLink[];
  /** Attributes of the resource that produced the span, such as `service.name`. */
  readonly resource: Attributes;
  /** The instrumentation scope (the tracer's name and version). */
  readonly scope: { readonly name: string; readonly version: string };
}

// Indexed by the enum numbers of opentelemetry-proto.
const spanKinds: readonly ReceivedSpanKind[] = ["unspecified", "internal", "server", "client", "producer", "consumer"];
const statusCodes: readonly ReceivedStatusCode[] = ["unset", "ok", "error"];

/** Flattens a decoded export request into its spans, in the order they were sent. */
export function toReceivedSpans(request: DecodedExportTraceRequest): ReceivedSpan[] {
  const spans: ReceivedSpan[] = [];
  for (const resourceSpans of request.resourceSpans) {
    const resource = toAttributes(resourceSpans.resource?.attributes ?? []);
    for (const scopeSpans of resourceSpans.scopeSpans) {
      const scope = { name: scopeSpans.scope?.name ?? "", version: scopeSpans.scope?.version ?? "" };
      for (const span of scopeSpans.spans) {
        spans.push(toReceivedSpan(span, resource, scope));
      }
    }
  }
  return spans;
}

function toReceivedSpan(span: DecodedSpan, resource: Attributes, scope: ReceivedSpan["scope"]): ReceivedSpan {
  return {
    traceId: toHex(span.traceId),
    spanId: toHex(span.spanId),
    // proto3 cannot tell an absent parent from an empty one; both mean root.
    parentSpanId: span.parentSpanId.length > 0 ? toHex(span.parentSpanId) : undefined,
    traceState: span.traceState,
    flags: span.flags,
    name: span.name,
    // An enum value newer than this schema is kept by protobufjs as its number.
    kind: spanKinds[span.kind] ?? "unspecified",
    startTimeUnixNano: span.startTimeUnixNano,
    endTimeUnixNano: span.endTimeUnixNano,
    attributes: toAttributes(span.attributes),
    status: {
      code: statusCodes[span.status?.code ?? 0] ?? "unset",
      message: span.status?.message ?? "",
    },
    events: span.events.map(toReceivedEvent),
    links: span.links.map(toReceivedLink),
    resource,
    scope,
  };
}

function toReceivedEvent(event: DecodedEvent): ReceivedEvent {
  return { name: event.name, timeUnixNano: event.timeUnixNano, attributes: toAttributes(event.attributes) };
}

function toReceivedLink(link: DecodedLink): ReceivedLink {
  return {
    traceId: toHex(link.traceId),
    spanId: toHex(link.spanId),
    traceState: link.traceState,
    attributes: toAttributes(link.attributes),
  };
}

function toAttributes(keyValues: readonly DecodedKeyValue[]): Attributes {
  const attributes: Record<string, AttributeValue> = {};
  for (const { key, value } of keyValues) {
    attributes[key] = value === null ? null : toAttributeValue(value);
  }
  return attributes;
}

function toAttributeValue(value: DecodedAnyValue): AttributeValue {
  switch (value.value) {
    case "stringValue":
      return value.stringValue ?? "";
    case "boolValue":
      return value.boolValue ?? false;
    case "intValue":
      return toInteger(value.intValue ?? 0n);
    case "doubleValue":
      return value.doubleValue ?? 0;
    case "arrayValue":
      return (value.arrayValue?.values ?? []).map(toAttributeValue);
    case "kvlistValue":
      return toAttributes(value.kvlistValue?.values ?? []);
    case "bytesValue":
      // A plain copy, not protobufjs's Buffer view into the request body.
      return new Uint8Array(value.bytesValue ?? []);
    case undefined:
      return null;
  }
}

function toInteger(value: bigint): number | bigint {
  const asNumber = Number(value);
  return Number.isSafeInteger(asNumber) ? asNumber : value;
}

function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");
}
