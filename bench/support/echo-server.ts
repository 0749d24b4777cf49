/**
 * The ceiling: a bare connect-node handler of the same `AgentService`, over the same transport
 * (h2c, Connect and gRPC on one port), that answers `Execute` with its input and nothing else:
 * no interceptors, no limits, no model. Whatever the service costs beyond this is the service.
 */
import { create } from "@bufbuild/protobuf";
import type { ConnectRouter } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { createServer } from "node:http2";
import type { AddressInfo } from "node:net";
import { AgentService, ExecuteResponseSchema, HealthResponseSchema } from "../../gen/agent/v1/agent_service_pb.js";

const routes = (router: ConnectRouter): void => {
  router.service(AgentService, {
    execute: (request) => create(ExecuteResponseSchema, { runId: "echo", output: request.input }),
    // eslint-disable-next-line require-yield -- the ceiling only measures Execute
    async *stream() {
      return;
    },
    health: () => create(HealthResponseSchema, {}),
  });
};

const server = createServer(connectNodeAdapter({ routes }));
server.listen(0, "127.0.0.1", () => {
  const { port } = server.address() as AddressInfo;
  console.log(`echo listening on http://127.0.0.1:${port}`);
});
process.once("SIGTERM", () => process.exit(0));
