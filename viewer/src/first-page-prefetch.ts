/**
 * The runs list's first page, asked for while the app still learns who is signed in: opening
 * `/ui/` then takes one round trip less. Only for the runs list without a principal filter, whose
 * request is the same for a caller and an admin (an empty filter means "mine" for a caller and
 * "everyone's" for an admin, which the service decides).
 */
import type { ListRunsResponseJson } from "../../gen/agent/v1/run_service_pb.js";
import { listRuns } from "./call-json.js";
import { parseRoute } from "./router.js";
import { filtersFromQuery, listRunsRequest, runsPageSize } from "./run-filters.js";

/** A first page asked for ahead of the page that shows it. */
export interface FirstPagePrefetch {
  /** The answer for the list's query string `query`, if it was asked for that query; only once. */
  take(query: string): Promise<ListRunsResponseJson> | undefined;
}

/**
 * Asks for the first page of the list at the current location with `token`, if the location is
 * the runs list; `preloaded` is the preload script's answer for the unfiltered list, taken when
 * there is one.
 */
export function prefetchFirstPage(token: string | undefined, preloaded?: Promise<ListRunsResponseJson | undefined>): FirstPagePrefetch | undefined {
  const route = parseRoute(location.pathname, location.search);
  if (route.page !== "runs" || route.query.has("principal")) {
    return undefined;
  }
  const query = route.query.toString();
  const ask = () => listRuns(listRunsRequest(filtersFromQuery(route.query), { isAdmin: false, pageSize: runsPageSize }), { token });
  let answer: Promise<ListRunsResponseJson> | undefined =
    preloaded === undefined || query !== "" ? ask() : preloaded.then((page) => page ?? ask());
  // Whoever takes it handles its failure; one never taken must not be an unhandled rejection.
  answer.catch(() => undefined);
  return {
    take(asked) {
      const taken = asked === query ? answer : undefined;
      answer = undefined;
      return taken;
    },
  };
}
