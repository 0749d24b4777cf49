import fc from "fast-check";
import { gzipSync } from "node:zlib";
import { concatBytes, labeled, type Labeled } from "./labeled.js";

/** How a request claims its message is compressed, and what it really does to the bytes. */
export interface Compression {
  /** The encoding header value sent (`content-encoding`, `connect-content-encoding` or `grpc-encoding`); undefined sends none. */
  readonly encoding: string | undefined;
  /** Whether an enveloped message carries the compressed flag (0x01). */
  readonly flagged: boolean;
  /** What is done to each message's bytes. */
  readonly compress: (bytes: Uint8Array) => Uint8Array;
}

let bomb: Uint8Array | undefined;
/** 16 MiB of zeros in 16 KiB of gzip: far beyond the read limit once inflated. */
function gzipBomb(): Uint8Array {
  bomb ??= gzipSync(new Uint8Array(16 * 1024 * 1024), { level: 9 });
  return bomb;
}

const identity = (bytes: Uint8Array) => bytes;
const gzip = (bytes: Uint8Array) => new Uint8Array(gzipSync(bytes));

/**
 * Compression claims: none, real gzip, gzip claimed over plain bytes, a gzip
 * bomb, unknown encodings, and (for envelopes) the compressed flag with no
 * encoding at all.
 */
export const compressions: fc.Arbitrary<Labeled<Compression>> = fc.oneof(
  { weight: 8, arbitrary: labeled("uncompressed", fc.constant<Compression>({ encoding: undefined, flagged: false, compress: identity })) },
  { weight: 1, arbitrary: labeled("gzip", fc.constant<Compression>({ encoding: "gzip", flagged: true, compress: gzip })) },
  {
    weight: 1,
    arbitrary: labeled("gzip claimed, not gzipped", fc.constant<Compression>({ encoding: "gzip", flagged: true, compress: identity })),
  },
  { weight: 1, arbitrary: labeled("gzip bomb", fc.constant<Compression>({ encoding: "gzip", flagged: true, compress: () => gzipBomb() })) },
  {
    weight: 1,
    arbitrary: labeled(
      "unknown encoding",
      fc
        .tuple(fc.constantFrom("br", "snappy", "x-garbage", "gzip, deflate", "GZIP", "", "identity, gzip"), fc.boolean())
        .map(([encoding, flagged]): Compression => ({ encoding, flagged, compress: identity })),
    ),
  },
  {
    weight: 1,
    arbitrary: labeled(
      "compressed flag, no encoding",
      fc.constant<Compression>({ encoding: undefined, flagged: true, compress: identity }),
    ),
  },
  { weight: 1, arbitrary: labeled("identity encoding", fc.constant<Compression>({ encoding: "identity", flagged: false, compress: identity })) },
);

/** One envelope: flags byte, 32-bit big-endian length, data; `declared` overrides the length. */
export function envelope(flags: number, data: Uint8Array, declared = data.length): Uint8Array {
  const head = new Uint8Array(5);
  head[0] = flags;
  new DataView(head.buffer).setUint32(1, declared >>> 0);
  return concatBytes(head, data);
}

type Framer = (messages: readonly Uint8Array[], flags: number) => Uint8Array;

const one = (messages: readonly Uint8Array[]) => messages[0] ?? new Uint8Array(0);

/** Ways to frame a request's messages, correct and broken; each names itself. */
const framers: fc.Arbitrary<Labeled<Framer>> = fc.oneof(
  { weight: 6, arbitrary: labeled("one envelope", fc.constant<Framer>((m, flags) => envelope(flags, one(m)))) },
  {
    weight: 1,
    arbitrary: labeled("several envelopes", fc.constant<Framer>((m, flags) => concatBytes(...m.map((data) => envelope(flags, data))))),
  },
  { weight: 1, arbitrary: labeled("no envelope", fc.constant<Framer>(() => new Uint8Array(0))) },
  {
    weight: 1,
    arbitrary: labeled(
      "length prefix beyond the body",
      fc
        .oneof(fc.integer({ min: 1, max: 1_000 }), fc.constant(2 ** 32 - 1))
        .map((extra): Framer => (m, flags) => envelope(flags, one(m), Math.min(one(m).length + extra, 2 ** 32 - 1))),
    ),
  },
  {
    weight: 1,
    arbitrary: labeled(
      "length prefix short of the body",
      fc.nat().map((cut): Framer => (m, flags) => {
        const data = one(m);
        return envelope(flags, concatBytes(data, Uint8Array.of(0xff, 0x00, 0x01)), data.length === 0 ? 0 : cut % data.length);
      }),
    ),
  },
  {
    weight: 1,
    arbitrary: labeled(
      "partial envelope prefix",
      fc.integer({ min: 1, max: 4 }).map((n): Framer => (m, flags) => envelope(flags, one(m)).subarray(0, n)),
    ),
  },
  {
    weight: 1,
    arbitrary: labeled(
      "odd flags byte",
      fc
        .oneof(fc.constantFrom(0x80, 0x02, 0x81, 0x03, 0xff), fc.integer({ min: 0, max: 255 }))
        .map((odd): Framer => (m, flags) => envelope(odd | flags, one(m))),
    ),
  },
  {
    weight: 1,
    arbitrary: labeled(
      "trailing garbage after the envelope",
      fc.uint8Array({ minLength: 1, maxLength: 16 }).map((tail): Framer => (m, flags) => concatBytes(envelope(flags, one(m)), tail)),
    ),
  },
  {
    weight: 1,
    arbitrary: labeled(
      "end-of-stream envelope from the client",
      fc.constantFrom(0x02, 0x80).map((flag): Framer => (m, flags) => concatBytes(envelope(flags, one(m)), envelope(flag, new Uint8Array(0)))),
    ),
  },
);

/**
 * An enveloped request body (Connect streaming, gRPC, gRPC-Web): one to
 * three messages from `messages`, compressed as `compression` claims, framed
 * correctly or not.
 */
export function framedBody(
  messages: fc.Arbitrary<Labeled<Uint8Array>>,
  compression: Compression,
): fc.Arbitrary<Labeled<Uint8Array>> {
  return fc.tuple(fc.array(messages, { minLength: 1, maxLength: 3 }), framers).map(([drawn, framer]) => ({
    value: framer.value(
      drawn.map((m) => compression.compress(m.value)),
      compression.flagged ? 0x01 : 0x00,
    ),
    label: `${framer.label} of ${drawn[0]?.label ?? "nothing"}`,
  }));
}
