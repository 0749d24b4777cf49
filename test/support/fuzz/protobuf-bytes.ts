import { create, toBinary, type DescMessage } from "@bufbuild/protobuf";
import fc from "fast-check";
import { ExecuteRequestSchema, StreamRequestSchema } from "../../../gen/agent/v1/agent_service_pb.js";
import { HealthCheckRequestSchema } from "../../../gen/grpc/health/v1/health_pb.js";
import { concatBytes, labeled, type Labeled } from "./labeled.js";
import { runInputs, type FuzzLimits } from "./run-inputs.js";

/** Encodes `value` as a protobuf varint, any width up to 64 bits. */
export function varint(value: bigint): Uint8Array {
  const bytes: number[] = [];
  let rest = BigInt.asUintN(64, value);
  do {
    const low = Number(rest & 0x7fn);
    rest >>= 7n;
    bytes.push(rest === 0n ? low : low | 0x80);
  } while (rest !== 0n);
  return Uint8Array.from(bytes);
}

const tag = (field: number, wireType: number) => varint((BigInt(field) << 3n) | BigInt(wireType));
const lengthDelimited = (field: number, payload: Uint8Array) =>
  concatBytes(tag(field, 2), varint(BigInt(payload.length)), payload);

/** Valid messages of the request types, most of them rejected by the request rules, a few runnable. */
function validMessage(schema: DescMessage, limits: FuzzLimits): fc.Arbitrary<Uint8Array> {
  if (schema.typeName === ExecuteRequestSchema.typeName || schema.typeName === StreamRequestSchema.typeName) {
    return runInputs(limits).map((fields) => toBinary(ExecuteRequestSchema, create(ExecuteRequestSchema, fields)));
  }
  if (schema.typeName === HealthCheckRequestSchema.typeName) {
    return fc
      .oneof(fc.constantFrom("", "agent.v1.AgentService", "nope.v1.Nope"), fc.string({ maxLength: 40, unit: "binary" }))
      .map((service) => toBinary(HealthCheckRequestSchema, create(HealthCheckRequestSchema, { service })));
  }
  // HealthRequest and HealthListRequest have no fields.
  return fc.constant(new Uint8Array(0));
}

const invalidUtf8 = fc.constantFrom(
  Uint8Array.of(0xff),
  Uint8Array.of(0xc0, 0x80), // overlong NUL
  Uint8Array.of(0xed, 0xa0, 0x80), // lone surrogate
  Uint8Array.of(0x68, 0x69, 0xe2, 0x82), // truncated sequence
  Uint8Array.of(0xf8, 0x88, 0x80, 0x80, 0x80), // 5-byte form
);

/** A well-formed field whose wire type is not its declared one, or an unknown field. */
const wrongWireTypeField = fc
  .record({ field: fc.integer({ min: 1, max: 6 }), wireType: fc.constantFrom(0, 1, 2, 5), payload: fc.uint8Array({ maxLength: 16 }) })
  .map(({ field, wireType, payload }) => {
    switch (wireType) {
      case 0:
        return concatBytes(tag(field, 0), varint(BigInt(payload.length * 1_000_003)));
      case 1:
        return concatBytes(tag(field, 1), new Uint8Array(8).fill(payload[0] ?? 0xab));
      case 5:
        return concatBytes(tag(field, 5), new Uint8Array(4).fill(payload[0] ?? 0xcd));
      default:
        return lengthDelimited(field, payload);
    }
  });

/** Byte-level damage to an encoded message; each names itself. */
const mutations: readonly fc.Arbitrary<Labeled<(bytes: Uint8Array) => Uint8Array>>[] = [
  labeled(
    "bit flip",
    fc.record({ at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }).map(({ at, bit }) => (bytes: Uint8Array) => {
      if (bytes.length === 0) {
        return Uint8Array.of(1 << bit);
      }
      const out = bytes.slice();
      const index = at % out.length;
      out[index] = (out[index] ?? 0) ^ (1 << bit);
      return out;
    }),
  ),
  labeled(
    "truncated",
    fc.nat().map((at) => (bytes: Uint8Array) => bytes.subarray(0, bytes.length === 0 ? 0 : at % bytes.length)),
  ),
  labeled(
    "random bytes appended",
    fc.uint8Array({ minLength: 1, maxLength: 32 }).map((extra) => (bytes: Uint8Array) => concatBytes(bytes, extra)),
  ),
  labeled("wrong wire type", wrongWireTypeField.map((field) => (bytes: Uint8Array) => concatBytes(bytes, field))),
  labeled(
    "invalid UTF-8 in a string field",
    fc.tuple(invalidUtf8, fc.boolean()).map(([bad, first]) => (bytes: Uint8Array) =>
      first ? concatBytes(lengthDelimited(1, bad), bytes) : concatBytes(bytes, lengthDelimited(1, bad)),
    ),
  ),
  labeled(
    "huge length varint",
    fc
      .tuple(fc.integer({ min: 1, max: 5 }), fc.bigInt({ min: 1n << 28n, max: (1n << 64n) - 1n }), fc.uint8Array({ maxLength: 8 }))
      .map(([field, length, tail]) => (bytes: Uint8Array) => concatBytes(bytes, tag(field, 2), varint(length), tail)),
  ),
  labeled(
    "overlong varint",
    fc.integer({ min: 11, max: 40 }).map((n) => (bytes: Uint8Array) => concatBytes(bytes, Uint8Array.of(0x10), new Uint8Array(n).fill(0xff))),
  ),
  labeled(
    "garbage in the nested duration",
    fc.uint8Array({ minLength: 1, maxLength: 24 }).map((garbage) => (bytes: Uint8Array) => concatBytes(bytes, lengthDelimited(3, garbage))),
  ),
  labeled(
    "deeply nested submessages",
    fc.integer({ min: 10, max: 2_000 }).map((depth) => (bytes: Uint8Array) => {
      // Field 3 inside field 3 inside ...: the duration's own field 3 is unknown, so only a
      // decoder that recurses into unknown groups or messages would go deep.
      let inner: Uint8Array = Uint8Array.of(0x08, 0x01);
      for (let i = 0; i < depth; i++) {
        inner = lengthDelimited(3, inner);
      }
      return concatBytes(bytes, inner);
    }),
  ),
  labeled(
    "unbalanced groups",
    fc
      .tuple(fc.integer({ min: 1, max: 20 }), fc.constantFrom(3, 4), fc.integer({ min: 1, max: 3_000 }))
      .map(([field, wireType, repeat]) => (bytes: Uint8Array) => {
        const one = tag(field, wireType);
        const run = new Uint8Array(one.length * repeat);
        for (let i = 0; i < repeat; i++) {
          run.set(one, i * one.length);
        }
        return concatBytes(bytes, run);
      }),
  ),
  labeled(
    "invalid field number",
    fc.constantFrom(Uint8Array.of(0x00), Uint8Array.of(0x02, 0x00), varint(((1n << 29n) << 3n) | 2n)).map(
      (bad) => (bytes: Uint8Array) => concatBytes(bytes, bad, Uint8Array.of(0x00)),
    ),
  ),
  labeled(
    "a field repeated many times",
    fc.integer({ min: 100, max: 5_000 }).map((repeat) => (bytes: Uint8Array) => {
      const one = Uint8Array.of(0x10, 0x05); // max_iterations = 5
      const run = new Uint8Array(one.length * repeat);
      for (let i = 0; i < repeat; i++) {
        run.set(one, i * one.length);
      }
      return concatBytes(bytes, run);
    }),
  ),
];

/**
 * Binary request messages for `schema`: valid ones, valid ones damaged by
 * one to three mutations, and random bytes.
 */
export function protobufBytes(schema: DescMessage, limits: FuzzLimits): fc.Arbitrary<Labeled<Uint8Array>> {
  const valid = validMessage(schema, limits);
  return fc.oneof(
    { weight: 2, arbitrary: labeled("valid protobuf", valid) },
    {
      weight: 6,
      arbitrary: fc
        .tuple(valid, fc.array(fc.oneof(...mutations), { minLength: 1, maxLength: 3 }))
        .map(([bytes, applied]) => ({
          value: applied.reduce((acc, m) => m.value(acc), bytes),
          label: `protobuf, ${applied.map((m) => m.label).join(" + ")}`,
        })),
    },
    { weight: 2, arbitrary: labeled("random bytes", fc.uint8Array({ maxLength: 512 })) },
  );
}
