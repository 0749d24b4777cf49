import { create } from "@bufbuild/protobuf";
import { timestampDate, type Timestamp } from "@bufbuild/protobuf/wkt";
import { FieldViolationSchema } from "../../gen/agent/v1/errors_pb.js";
import { invalidArgumentError } from "../errors/error-detail.js";

/** Years 1 to 9999, as `google.protobuf.Timestamp` allows, in seconds since the epoch. */
const minTimestampSeconds = -62_135_596_800n;
const maxTimestampSeconds = 253_402_300_799n;

/** A request's Timestamp as a Date, undefined when unset, or INVALID_ARGUMENT naming the field. */
export function dateOf(field: string, time: Timestamp | undefined): Date | undefined {
  if (time === undefined) {
    return undefined;
  }
  if (time.seconds < minTimestampSeconds || time.seconds > maxTimestampSeconds || time.nanos < 0 || time.nanos > 999_999_999) {
    throw invalidArgumentError([
      create(FieldViolationSchema, { field, description: "must be a time from year 1 to 9999, with nanos from 0 to 999,999,999" }),
    ]);
  }
  return timestampDate(time);
}
