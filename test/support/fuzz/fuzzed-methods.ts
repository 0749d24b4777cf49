import type { DescMessage } from "@bufbuild/protobuf";
import { AgentService } from "../../../gen/agent/v1/agent_service_pb.js";
import { Health, HealthCheckRequestSchema } from "../../../gen/grpc/health/v1/health_pb.js";

/** One RPC path the fuzzer sends requests to. */
export interface FuzzedMethod {
  /** `/package.Service/Method`. */
  readonly path: string;
  /** How the server answers it; an unknown method is never served. */
  readonly kind: "unary" | "server_streaming" | "unknown";
  /** The request message; an unknown method borrows the health check's, so its bodies look real. */
  readonly input: DescMessage;
  /**
   * A valid request to it may legitimately stay open (a health watch streams
   * until its deadline), so the client may stop reading it after a while.
   */
  readonly openEnded: boolean;
}

/**
 * Every method the server serves (agent.v1.AgentService and
 * grpc.health.v1.Health), plus two it does not: one in a served service, one
 * in an unknown service.
 */
export const fuzzedMethods: readonly FuzzedMethod[] = [
  ...[AgentService, Health].flatMap((service) =>
    service.methods.map((method) => ({
      path: `/${service.typeName}/${method.name}`,
      kind: method.methodKind === "unary" ? ("unary" as const) : ("server_streaming" as const),
      input: method.input,
      openEnded: service.typeName === Health.typeName && method.name === "Watch",
    })),
  ),
  { path: "/agent.v1.AgentService/Nope", kind: "unknown", input: HealthCheckRequestSchema, openEnded: false },
  { path: "/other.v1.Other/Call", kind: "unknown", input: HealthCheckRequestSchema, openEnded: false },
];
