import { SpanKind, SpanStatusCode, type Attributes, type HrTime } from "@opentelemetry/api";
import type { ReadableSpan } from "@opentelemetry/sdk-trace";
import { z } from "zod";

const scalarSchema = z.union([z.string(), z.number(), z.boolean()]);
const attributeValueSchema = z.union([scalarSchema, z.array(scalarSchema)]);
const attributesSchema = z.record(z.string(), attributeValueSchema);
/** Nanoseconds since the Unix epoch as a decimal string: a JSON number would lose the last digits. */
const unixNanoSchema = z.string().regex(/^\d+$/, "expected a decimal string of nanoseconds");

/**
 * One line of the span file: a finished span as JSON, self-contained (each line
 * repeats its resource and scope) so that any line can be read on its own.
 * Unknown fields are ignored, so later writers may add some.
 */
export const storedSpanSchema = z.object({
  traceId: z.string().regex(/^[0-9a-f]{32}$/, "expected 32 lowercase hexadecimal digits"),
  spanId: z.string().regex(/^[0-9a-f]{16}$/, "expected 16 lowercase hexadecimal digits"),
  /** Absent on a trace's root span. */
  parentSpanId: z
    .string()
    .regex(/^[0-9a-f]{16}$/, "expected 16 lowercase hexadecimal digits")
    .optional(),
  name: z.string(),
  kind: z.enum(["internal", "server", "client", "producer", "consumer"]),
  startTimeUnixNano: unixNanoSchema,
  endTimeUnixNano: unixNanoSchema,
  attributes: attributesSchema,
  status: z.object({
    code: z.enum(["unset", "ok", "error"]),
    message: z.string().optional(),
  }),
  events: z.array(
    z.object({
      name: z.string(),
      timeUnixNano: unixNanoSchema,
      attributes: attributesSchema,
    }),
  ),
  resource: attributesSchema,
  scope: z.object({
    name: z.string(),
    version: z.string().optional(),
  }),
});

/** A finished span as stored in the span file; see {@link storedSpanSchema}. */
export type StoredSpan = z.infer<typeof storedSpanSchema>;

/** An attribute value of a stored span, its events or its resource: a scalar or an array of scalars. */
export type StoredAttributeValue = z.infer<typeof attributeValueSchema>;

/** Attributes of a stored span, its events or its resource. */
export type StoredAttributes = z.infer<typeof attributesSchema>;

const storedKinds: Readonly<Record<SpanKind, StoredSpan["kind"]>> = {
  [SpanKind.INTERNAL]: "internal",
  [SpanKind.SERVER]: "server",
  [SpanKind.CLIENT]: "client",
  [SpanKind.PRODUCER]: "producer",
  [SpanKind.CONSUMER]: "consumer",
};

const storedStatusCodes: Readonly<Record<SpanStatusCode, StoredSpan["status"]["code"]>> = {
  [SpanStatusCode.UNSET]: "unset",
  [SpanStatusCode.OK]: "ok",
  [SpanStatusCode.ERROR]: "error",
};

/**
 * Converts a finished span of the SDK to its line in the span file. Times keep
 * full nanosecond precision. Attribute values outside the stored format (maps,
 * bytes, arrays holding null or nested values) are kept as JSON text; null and
 * undefined values are left out.
 */
export function toStoredSpan(span: ReadableSpan): StoredSpan {
  const { traceId, spanId } = span.spanContext();
  const parentSpanId = span.parentSpanContext?.spanId;
  const { name, version } = span.instrumentationScope;
  return {
    traceId,
    spanId,
    ...(parentSpanId === undefined ? {} : { parentSpanId }),
    name: span.name,
    kind: storedKinds[span.kind],
    startTimeUnixNano: toUnixNano(span.startTime),
    endTimeUnixNano: toUnixNano(span.endTime),
    attributes: toStoredAttributes(span.attributes),
    status: {
      code: storedStatusCodes[span.status.code],
      ...(span.status.message === undefined || span.status.message === "" ? {} : { message: span.status.message }),
    },
    events: span.events.map((event) => ({
      name: event.name,
      timeUnixNano: toUnixNano(event.time),
      attributes: toStoredAttributes(event.attributes ?? {}),
    })),
    resource: toStoredAttributes(span.resource.attributes),
    scope: { name, ...(version === undefined ? {} : { version }) },
  };
}

/** `[seconds, nanoseconds]` as one exact decimal count of nanoseconds. */
function toUnixNano([seconds, nanos]: HrTime): string {
  // BigInt: nanoseconds since the epoch (~1.7e18) are beyond a double's 2^53.
  // BigInt() rejects fractions, which a hand-made HrTime may carry.
  return (BigInt(Math.trunc(seconds)) * 1_000_000_000n + BigInt(Math.round(nanos))).toString();
}

function toStoredAttributes(attributes: Attributes): StoredAttributes {
  const stored: StoredAttributes = {};
  for (const [key, value] of Object.entries(attributes)) {
    const storedValue = toStoredAttributeValue(value);
    if (storedValue !== undefined) {
      stored[key] = storedValue;
    }
  }
  return stored;
}

function toStoredAttributeValue(value: unknown): StoredAttributeValue | undefined {
  if (value === null || value === undefined) {
    return undefined;
  }
  const scalar = toStoredScalar(value);
  if (scalar !== undefined) {
    return scalar;
  }
  if (Array.isArray(value)) {
    const items = value.map(toStoredScalar);
    if (items.every((item) => item !== undefined)) {
      return items;
    }
  }
  return toJsonText(value);
}

function toStoredScalar(value: unknown): string | number | boolean | undefined {
  switch (typeof value) {
    case "string":
    case "boolean":
      return value;
    case "number":
      // JSON writes NaN and ±Infinity as null, which the reader would reject.
      return Number.isFinite(value) ? value : String(value);
    case "bigint":
      return value.toString();
    default:
      return undefined;
  }
}

function toJsonText(value: unknown): string {
  try {
    // JSON.stringify gives undefined for a function or symbol.
    const json: string | undefined = JSON.stringify(value, (_key, item: unknown) =>
      typeof item === "bigint" ? item.toString() : item,
    );
    return json ?? String(value);
  } catch {
    // A cyclic structure: its string form is the best that can be kept.
    return String(value);
  }
}
