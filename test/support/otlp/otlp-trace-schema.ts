import path from "node:path";
import { fileURLToPath } from "node:url";
import protobuf from "protobufjs";

/**
 * The `.proto` files, laid out as in opentelemetry-proto so that their
 * imports are the upstream ones and the files diff cleanly against it.
 */
const protoRoot = fileURLToPath(new URL("./proto/", import.meta.url));
const entryFile = "opentelemetry/proto/collector/trace/v1/trace_service.proto";

/**
 * How decoded messages become plain objects: 64-bit integers as `bigint`,
 * `bytes` as `Uint8Array`, enums as numbers, every scalar and repeated field
 * present (unset messages are `null`), and each `oneof` named by the
 * property its name gives (AnyValue's is `value`).
 */
const conversionOptions: protobuf.IConversionOptions = {
  longs: BigInt,
  defaults: true,
  arrays: true,
  oneofs: true,
};

/** An `opentelemetry.proto.common.v1.AnyValue` as decoded; at most one member is set, named by `value`. */
export interface DecodedAnyValue {
  readonly value?:
    | "stringValue"
    | "boolValue"
    | "intValue"
    | "doubleValue"
    | "arrayValue"
    | "kvlistValue"
    | "bytesValue";
  readonly stringValue?: string;
  readonly boolValue?: boolean;
  readonly intValue?: bigint;
  readonly doubleValue?: number;
  readonly arrayValue?: { readonly values: readonly DecodedAnyValue[] };
  readonly kvlistValue?: { readonly values: readonly DecodedKeyValue[] };
  readonly bytesValue?: Uint8Array;
}

/** An `opentelemetry.proto.common.v1.KeyValue` as decoded. */
export interface DecodedKeyValue {
  readonly key: string;
  readonly value: DecodedAnyValue | null;
}

/** An `opentelemetry.proto.trace.v1.Span.Event` as decoded. */
export interface DecodedEvent {
  readonly timeUnixNano: bigint;
  readonly name: string;
  readonly attributes: readonly DecodedKeyValue[];
}

/** An `opentelemetry.proto.trace.v1.Span.Link` as decoded. */
export interface DecodedLink {
  readonly traceId: Uint8Array;
  readonly spanId: Uint8Array;
  readonly traceState: string;
  readonly attributes: readonly DecodedKeyValue[];
  readonly flags: number;
}

/** An `opentelemetry.proto.trace.v1.Span` as decoded (the fields the receiver reads). */
export interface DecodedSpan {
  readonly traceId: Uint8Array;
  readonly spanId: Uint8Array;
  readonly traceState: string;
  readonly parentSpanId: Uint8Array;
  readonly flags: number;
  readonly name: string;
  readonly kind: number;
  readonly startTimeUnixNano: bigint;
  readonly endTimeUnixNano: bigint;
  readonly attributes: readonly DecodedKeyValue[];
  readonly events: readonly DecodedEvent[];
  readonly links: readonly DecodedLink[];
  readonly status: { readonly message: string; readonly code: number } | null;
}

/** An `opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest` as decoded. */
export interface DecodedExportTraceRequest {
  readonly resourceSpans: readonly {
    readonly resource: { readonly attributes: readonly DecodedKeyValue[] } | null;
    readonly scopeSpans: readonly {
      readonly scope: { readonly name: string; readonly version: string } | null;
      readonly spans: readonly DecodedSpan[];
    }[];
  }[];
}

/** The OTLP trace messages the receiver reads and writes. */
export interface OtlpTraceSchema {
  /**
   * Decodes the body of `POST /v1/traces`.
   * @throws when `body` is not a valid `ExportTraceServiceRequest`.
   */
  decodeExportRequest(body: Uint8Array): DecodedExportTraceRequest;
  /**
   * Encodes a request given as a plain object with camelCase field names
   * (64-bit integers as `bigint`, number or decimal string); lets tests send
   * exports that no SDK would produce.
   */
  encodeExportRequest(request: Record<string, unknown>): Uint8Array;
  /** The answer to an accepted export: an empty `ExportTraceServiceResponse`, which is zero bytes. */
  encodeExportResponse(): Uint8Array;
}

/**
 * Loads the opentelemetry-proto v1 subset under `proto/` with protobufjs.
 * Each call parses the files again (a few milliseconds), so nothing is cached
 * at module level.
 */
export function loadOtlpTraceSchema(): OtlpTraceSchema {
  const root = new protobuf.Root();
  // Imports are relative to the proto root (as with protoc -I or buf), not to
  // the importing file, which is protobufjs's default.
  root.resolvePath = (_origin, target) => (path.isAbsolute(target) ? target : path.join(protoRoot, target));
  root.loadSync(entryFile);
  root.resolveAll();
  const request = root.lookupType("opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest");
  const response = root.lookupType("opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse");
  return {
    decodeExportRequest(body) {
      // The object's shape follows from the schema and `conversionOptions`.
      return request.toObject(request.decode(body), conversionOptions) as DecodedExportTraceRequest;
    },
    encodeExportRequest(value) {
      // fromObject, not verify: verify turns down the decimal strings and
      // bigints that fromObject accepts for 64-bit fields.
      return request.encode(request.fromObject(value)).finish();
    },
    encodeExportResponse() {
      return response.encode(response.create({})).finish();
    },
  };
}
