/**
 * The answers of the preload script (`preload.ts`), decoded into the service's messages for the
 * application, which takes them once, at start-up, instead of asking the service again. Each is
 * undefined when the preload script did not get it; then the application asks itself.
 */
import { fromJson, type DescMessage, type MessageShape } from "@bufbuild/protobuf";
import { GetCallerResponseSchema, ListRunsResponseSchema, type GetCallerResponse, type ListRunsResponse } from "../../gen/agent/v1/run_service_pb.js";
import { preloadKey, type Preloaded, type PreloadedSettings } from "./preload-handoff.js";

/** The preload script's answers, decoded. */
export interface PreloadedAnswers {
  readonly settings: Promise<PreloadedSettings | undefined>;
  readonly caller: Promise<GetCallerResponse | undefined>;
  readonly firstPage: Promise<ListRunsResponse | undefined>;
  /** The token the preload script called with. */
  readonly token: string | undefined;
}

/** The preload script's answers; undefined when it did not run (or they were taken already). */
export function takePreloaded(): PreloadedAnswers | undefined {
  const holder = window as unknown as Record<string, Preloaded | undefined>;
  const preloaded = holder[preloadKey];
  if (preloaded === undefined) {
    return undefined;
  }
  holder[preloadKey] = undefined;
  return {
    settings: preloaded.settings,
    caller: decoded(GetCallerResponseSchema, preloaded.caller),
    firstPage: decoded(ListRunsResponseSchema, preloaded.firstPage),
    token: preloaded.token,
  };
}

/** The message of a JSON answer; undefined when there is none or it does not decode. */
async function decoded<Desc extends DescMessage>(schema: Desc, json: Promise<unknown>): Promise<MessageShape<Desc> | undefined> {
  try {
    const value = await json;
    return value === undefined ? undefined : fromJson(schema, value as never, { ignoreUnknownFields: true });
  } catch {
    return undefined;
  }
}
