import { create, toBinary } from "@bufbuild/protobuf";
import { ErrorDetailSchema } from "../../gen/agent/v1/errors_pb.js";
import { ExecuteRequestSchema } from "../../gen/agent/v1/agent_service_pb.js";
import { describe, expect, it } from "vitest";
import { checkBinaryMessage } from "./binary-message-check.js";

describe("checkBinaryMessage", () => {
  it("accepts what fromBinary accepts, unknown fields included", () => {
    const message = toBinary(ExecuteRequestSchema, create(ExecuteRequestSchema, { input: "héllo", maxIterations: 3 }));
    expect(checkBinaryMessage(ExecuteRequestSchema, new Uint8Array([...message, 0x7a, 0x01, 0x00]))).toBeUndefined();
  });

  it("names a nested string field that is not UTF-8", () => {
    // ErrorDetail.field_violations[].field = 0xFF
    const violation = [0x0a, 0x01, 0xff];
    const err = checkBinaryMessage(ErrorDetailSchema, new Uint8Array([0x22, violation.length, ...violation]));
    expect(err?.findDetails(ErrorDetailSchema)[0]?.fieldViolations[0]?.field).toBe("field_violations.field");
  });

  it("describes broken framing with the decoder's words", () => {
    const err = checkBinaryMessage(ExecuteRequestSchema, new Uint8Array([0x0a, 0x05, 0x61]));
    expect(err?.rawMessage).toBe(
      "invalid request: the message does not decode: not a valid agent.v1.ExecuteRequest in the Protobuf binary format (premature EOF)",
    );
  });
});
