import { fromJson } from "@bufbuild/protobuf";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { describe, expect, it } from "vitest";
import { ListRunsRequestSchema, RunStatus } from "../../gen/agent/v1/run_service_pb.js";
import { filtersFromQuery, listRunsRequest, queryOfFilters } from "./run-filters.js";

describe("run filters", () => {
  it("round-trips through the query string", () => {
    const query = "?status=failed&prompt_version=default%40abc&after=2026-12-03T10%3A00&input=weather";
    const filters = filtersFromQuery(new URLSearchParams(query));
    expect(filters).toMatchObject({ status: "failed", promptVersion: "default@abc", startedAfter: "2026-12-03T10:00", inputContains: "weather", model: "" });
    expect(queryOfFilters(filters)).toBe("?status=failed&prompt_version=default%40abc&after=2026-12-03T10%3A00&input=weather");
  });

  it("drops an unknown status and writes no query for no filter", () => {
    const filters = filtersFromQuery(new URLSearchParams("status=bogus"));
    expect(filters.status).toBe("");
    expect(queryOfFilters(filters)).toBe("");
  });

  it("builds the ListRuns request, the principal only for admins", () => {
    const filters = filtersFromQuery(new URLSearchParams("status=running&principal=ops&before=2026-12-03T10:00"));
    const forCaller = listRunsRequest(filters, { isAdmin: false, pageSize: 50 });
    // The JSON the service decodes: the same request as the Protobuf runtime reads it.
    const decoded = fromJson(ListRunsRequestSchema, forCaller);
    expect(decoded).toMatchObject({ status: RunStatus.RUNNING, principal: "", pageSize: 50, pageToken: "" });
    const before = decoded.startedBefore;
    expect(before && timestampDate(before).getTime()).toBe(new Date("2026-12-03T10:00").getTime());
    expect(listRunsRequest(filters, { isAdmin: true, pageSize: 50, pageToken: "next" })).toMatchObject({ principal: "ops", pageToken: "next" });
  });
});
