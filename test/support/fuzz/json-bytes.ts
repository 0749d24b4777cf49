import type { DescMessage } from "@bufbuild/protobuf";
import fc from "fast-check";
import { ExecuteRequestSchema, StreamRequestSchema } from "../../../gen/agent/v1/agent_service_pb.js";
import { HealthCheckRequestSchema } from "../../../gen/grpc/health/v1/health_pb.js";
import { concatBytes, labeled, utf8, type Labeled } from "./labeled.js";
import { runInputs, type FuzzLimits, type RunInputFields } from "./run-inputs.js";

/** A duration in its JSON form, `"1.5s"`; out-of-range nanos give an unnormalized string the parser must refuse. */
function durationJson(time: NonNullable<RunInputFields["maxExecutionTime"]>): string {
  const sign = time.seconds < 0n || time.nanos < 0 ? "-" : "";
  const seconds = time.seconds < 0n ? -time.seconds : time.seconds;
  const nanos = Math.abs(time.nanos);
  return nanos === 0 ? `${sign}${seconds}s` : `${sign}${seconds}.${String(nanos).padStart(9, "0")}s`;
}

/** Valid-looking JSON objects of the request type (the request rules still reject most of them). */
function validObject(schema: DescMessage, limits: FuzzLimits): fc.Arbitrary<Record<string, unknown>> {
  if (schema.typeName === ExecuteRequestSchema.typeName || schema.typeName === StreamRequestSchema.typeName) {
    return runInputs(limits).map((fields) => ({
      input: fields.input,
      maxIterations: fields.maxIterations,
      ...(fields.maxExecutionTime === undefined ? {} : { maxExecutionTime: durationJson(fields.maxExecutionTime) }),
      bypassCache: fields.bypassCache,
    }));
  }
  if (schema.typeName === HealthCheckRequestSchema.typeName) {
    return fc.constantFrom("", "agent.v1.AgentService", "nope.v1.Nope").map((service) => ({ service }));
  }
  return fc.constant({});
}

/** Values of the wrong JSON type, or out of every range, for any field. */
const wrongValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom<unknown>(
    5,
    -1,
    1.5,
    4294967296,
    "abc",
    true,
    null,
    [],
    {},
    { seconds: 1, nanos: 2e9 },
    "2e9s",
    "315576000001s",
    "1.0000000001s",
    "s",
    "-0s",
  ),
  fc.jsonValue({ maxDepth: 3 }),
);

/** JSON numbers no double or uint32 holds, spliced in as raw text. */
const hugeNumberText = fc.constantFrom("1e400", "-1e400", "123456789012345678901234567890", "-0", "1e-400", "9".repeat(400), "0x10", "01");

const fieldNames = ["input", "maxIterations", "max_iterations", "maxExecutionTime", "bypassCache", "service", "unknownField"];

const syntaxErrors = fc.constantFrom(
  "",
  " ",
  "null",
  "[]",
  '"a string"',
  "42",
  "{",
  "}",
  '{"input":}',
  "\uFEFF{}",
  "{}garbage",
  "{'input':'x'}",
  '{"input":"\\ud800"}',
  '{"input":"\\u0000"}',
  '{"input":"\\x41"}',
  "NaN",
  '{"input": "a" /* c */}',
  '{"input":"a",}',
  '{"input":"a","input":"b"}',
  '{"__proto__":{"polluted":1}}',
);

/**
 * JSON request bodies for `schema`: valid objects, truncated ones, wrong
 * types and huge numbers, deep nesting, invalid UTF-8 inside strings, syntax
 * errors and random bytes.
 */
export function jsonBytes(schema: DescMessage, limits: FuzzLimits): fc.Arbitrary<Labeled<Uint8Array>> {
  const valid = validObject(schema, limits);
  const validText = valid.map((o) => JSON.stringify(o));
  return fc.oneof(
    { weight: 3, arbitrary: labeled("valid JSON", validText.map(utf8)) },
    {
      weight: 2,
      arbitrary: labeled(
        "JSON, truncated",
        fc.tuple(validText, fc.nat()).map(([text, at]) => utf8(text.slice(0, text.length === 0 ? 0 : at % text.length))),
      ),
    },
    {
      weight: 3,
      arbitrary: labeled(
        "JSON, wrong field types",
        fc
          .tuple(valid, fc.constantFrom(...fieldNames), wrongValue)
          .map(([object, field, value]) => utf8(JSON.stringify({ ...object, [field]: value }))),
      ),
    },
    {
      weight: 2,
      arbitrary: labeled(
        "JSON, huge numbers",
        fc
          .tuple(fc.constantFrom("maxIterations", "input", "bypassCache", "maxExecutionTime"), hugeNumberText)
          .map(([field, number]) => utf8(`{"input":"What is 1 + 1?","${field}":${number}}`)),
      ),
    },
    {
      weight: 2,
      arbitrary: labeled(
        "JSON, deep nesting",
        fc
          .tuple(fc.integer({ min: 40, max: 100_000 }), fc.constantFrom("[", '{"a":'), fc.boolean())
          .map(([depth, open, inField]) => {
            const close = open === "[" ? "]" : "}";
            const nested = `${open.repeat(depth)}1${close.repeat(depth)}`;
            return utf8(inField ? `{"input":${nested}}` : nested);
          }),
      ),
    },
    {
      weight: 2,
      arbitrary: labeled(
        "JSON, invalid UTF-8 in a string",
        fc
          .tuple(fc.constantFrom("input", "service", "maxExecutionTime"), fc.constantFrom([0xff], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xe2, 0x82]))
          .map(([field, bad]) => concatBytes(utf8(`{"${field}":"ab`), Uint8Array.from(bad), utf8('cd"}'))),
      ),
    },
    { weight: 2, arbitrary: labeled("JSON, syntax error", syntaxErrors.map(utf8)) },
    { weight: 1, arbitrary: labeled("random text", fc.string({ maxLength: 64, unit: "binary" }).map(utf8)) },
    { weight: 1, arbitrary: labeled("random bytes", fc.uint8Array({ maxLength: 256 })) },
  );
}
