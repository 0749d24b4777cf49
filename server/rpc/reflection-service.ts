import { create, createRegistry, fromBinary, toBinary, type DescFile, type DescService, type MessageInitShape, type Registry } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import { Code, type ServiceImpl } from "@connectrpc/connect";
import {
  type ServerReflection,
  type ServerReflectionRequest,
  ServerReflectionRequestSchema,
  ServerReflectionResponseSchema,
} from "../../gen/grpc/reflection/v1/reflection_pb.js";
import {
  type ServerReflection as ServerReflectionV1alpha,
  ServerReflectionRequestSchema as ServerReflectionRequestV1alphaSchema,
  ServerReflectionResponseSchema as ServerReflectionResponseV1alphaSchema,
} from "../../gen/grpc/reflection/v1alpha/reflection_pb.js";

type ReflectionAnswer = MessageInitShape<typeof ServerReflectionResponseSchema>["messageResponse"];

/**
 * The standard gRPC server reflection service, `grpc.reflection.v1`, so that
 * `buf curl` and grpcurl can list and call every method without the .proto
 * files. It describes `services` (pass every service the router serves,
 * reflection included) and every file they import, the well-known types too.
 *
 * Each request in the stream is answered in turn; a symbol, file or
 * extension it does not know is answered with an `error_response`
 * (NOT_FOUND), as the protocol asks, and the stream goes on. Every file
 * answer carries the file's transitive imports, each time: the protocol
 * allows leaving out files sent earlier in the stream, but clients must
 * cope with repeats, and keeping no per-stream state is simpler.
 */
export function createReflectionService(services: readonly DescService[]): ServiceImpl<typeof ServerReflection> {
  const answer = createReflectionAnswerer(services);
  return {
    async *serverReflectionInfo(requests) {
      for await (const request of requests) {
        yield { validHost: request.host, originalRequest: request, messageResponse: answer(request) };
      }
    },
  };
}

/**
 * The deprecated `grpc.reflection.v1alpha` version, which older grpcurl and
 * other clients still ask first. Its messages are the same on the wire as
 * v1's, so each is re-read as v1 and answered by {@link createReflectionService}'s
 * logic rather than by a copy of it.
 */
export function createReflectionV1alphaService(services: readonly DescService[]): ServiceImpl<typeof ServerReflectionV1alpha> {
  const answer = createReflectionAnswerer(services);
  return {
    async *serverReflectionInfo(requests) {
      for await (const alphaRequest of requests) {
        const request = fromBinary(ServerReflectionRequestSchema, toBinary(ServerReflectionRequestV1alphaSchema, alphaRequest));
        const response = create(ServerReflectionResponseSchema, { validHost: request.host, originalRequest: request, messageResponse: answer(request) });
        yield fromBinary(ServerReflectionResponseV1alphaSchema, toBinary(ServerReflectionResponseSchema, response));
      }
    },
  };
}

/** Answers one reflection request from the files that declare `services`, and what they import. */
function createReflectionAnswerer(services: readonly DescService[]): (request: ServerReflectionRequest) => ReflectionAnswer {
  const files = new Map<string, DescFile>();
  for (const service of services) {
    addWithImports(files, service.file);
  }
  // A plain registry of the files' types; files are looked up by name in the
  // map, since the generated descriptors already are what createFileRegistry
  // would rebuild from their FileDescriptorProtos.
  const registry = createRegistry(...files.values());
  const serviceNames = services.map((service) => ({ name: service.typeName }));

  return (request) => {
    const asked = request.messageRequest;
    switch (asked.case) {
      case "listServices":
        return { case: "listServicesResponse", value: { service: serviceNames } };
      case "fileByFilename": {
        const file = files.get(asked.value);
        return file === undefined ? notFound(`file "${asked.value}" is not known`) : fileAnswer(file);
      }
      case "fileContainingSymbol": {
        const file = fileOfSymbol(registry, asked.value);
        return file === undefined ? notFound(`symbol "${asked.value}" is not known`) : fileAnswer(file);
      }
      case "fileContainingExtension": {
        const { containingType, extensionNumber } = asked.value;
        const message = registry.getMessage(containingType);
        const extension = message === undefined ? undefined : registry.getExtensionFor(message, extensionNumber);
        return extension === undefined ? notFound(`no extension ${extensionNumber} of "${containingType}" is known`) : fileAnswer(extension.file);
      }
      case "allExtensionNumbersOfType": {
        if (registry.getMessage(asked.value) === undefined) {
          return notFound(`type "${asked.value}" is not known`);
        }
        const extensionNumber: number[] = [];
        for (const desc of registry) {
          if (desc.kind === "extension" && desc.extendee.typeName === asked.value) {
            extensionNumber.push(desc.number);
          }
        }
        return { case: "allExtensionNumbersResponse", value: { baseTypeName: asked.value, extensionNumber } };
      }
      case undefined:
        return { case: "errorResponse", value: { errorCode: Code.InvalidArgument, errorMessage: "the request asks for nothing" } };
    }
  };
}

/** The file that declares `symbol`: a message, enum, extension or service, or a service's method (`pkg.Service.Method`). */
function fileOfSymbol(registry: Registry, symbol: string): DescFile | undefined {
  const desc = registry.get(symbol);
  if (desc !== undefined) {
    return desc.file;
  }
  const dot = symbol.lastIndexOf(".");
  const service = dot < 0 ? undefined : registry.getService(symbol.slice(0, dot));
  return service?.methods.some((method) => method.name === symbol.slice(dot + 1)) === true ? service.file : undefined;
}

/** `file` and everything it imports, transitively, the file first. */
function fileAnswer(file: DescFile): ReflectionAnswer {
  const closure = new Map<string, DescFile>();
  addWithImports(closure, file);
  const fileDescriptorProto = [...closure.values()].map((each) => toBinary(FileDescriptorProtoSchema, each.proto));
  return { case: "fileDescriptorResponse", value: { fileDescriptorProto } };
}

/** Adds `file` and its transitive imports to `files`, keyed by file name (`agent/v1/run.proto`). */
function addWithImports(files: Map<string, DescFile>, file: DescFile): void {
  if (files.has(file.proto.name)) {
    return;
  }
  files.set(file.proto.name, file);
  for (const dependency of file.dependencies) {
    addWithImports(files, dependency);
  }
}

/** An `error_response` with NOT_FOUND. */
function notFound(errorMessage: string): ReflectionAnswer {
  // Connect's codes are gRPC's status codes, which error_code carries.
  return { case: "errorResponse", value: { errorCode: Code.NotFound, errorMessage } };
}
