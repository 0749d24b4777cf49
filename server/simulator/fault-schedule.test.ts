import { describe, expect, it } from "vitest";
import { ZodError } from "zod";
import { createFaultSchedule } from "./fault-schedule.js";

const request = { model: "sim-small", callsTools: false };

describe("createFaultSchedule", () => {
  it("applies a rule as many times as it allows, then no more", () => {
    const schedule = createFaultSchedule([{ kind: "status", times: 2 }]);
    expect(schedule.take(request)?.kind).toBe("status");
    expect(schedule.take(request)?.kind).toBe("status");
    expect(schedule.take(request)).toBeUndefined();
  });

  it("picks the first matching rule and falls through once it is used up", () => {
    const schedule = createFaultSchedule([
      { kind: "hang", times: 1 },
      { kind: "status", status: 429 },
    ]);
    expect(schedule.take(request)?.kind).toBe("hang");
    expect(schedule.take(request)?.kind).toBe("status");
    expect(schedule.take(request)?.kind).toBe("status");
  });

  it("only matches the model a rule names", () => {
    const schedule = createFaultSchedule([{ kind: "status", model: "sim-large" }]);
    expect(schedule.take(request)).toBeUndefined();
    expect(schedule.take({ ...request, model: "sim-large" })?.kind).toBe("status");
  });

  it("does not spend invalid-tool-arguments uses on turns without tool calls", () => {
    const schedule = createFaultSchedule([{ kind: "invalid-tool-arguments", times: 1 }]);
    expect(schedule.take(request)).toBeUndefined();
    expect(schedule.take({ ...request, callsTools: true })?.kind).toBe("invalid-tool-arguments");
    expect(schedule.take({ ...request, callsTools: true })).toBeUndefined();
  });

  it("lets the first `skip` matching requests through before the rule applies", () => {
    const schedule = createFaultSchedule([
      { kind: "status", status: 429, model: "m", times: 1 },
      { kind: "status", status: 503, model: "m", skip: 1 },
    ]);
    const taken = [1, 2, 3, 4].map(() => schedule.take({ model: "m", callsTools: false })?.status);
    expect(taken).toEqual([429, undefined, 503, 503]);
    expect(schedule.take({ model: "other", callsTools: false })).toBeUndefined();
  });

  it("lists a rule's skips still to come", () => {
    const schedule = createFaultSchedule([{ kind: "hang", skip: 2, times: 1 }]);
    schedule.take({ model: "m", callsTools: false });
    expect(schedule.list()).toEqual([{ kind: "hang", skip: 1, times: 1 }]);
  });

  it("lists the rules with their remaining uses", () => {
    const schedule = createFaultSchedule([{ kind: "status", times: 2 }, { kind: "hang" }]);
    schedule.take(request);
    expect(schedule.list()).toEqual([{ kind: "status", times: 1 }, { kind: "hang" }]);
  });

  it("is not affected by later changes to the rules it was given", () => {
    const rule = { kind: "status" as const, status: 500 };
    const schedule = createFaultSchedule([rule]);
    rule.status = 418;
    expect(schedule.take(request)?.status).toBe(500);
  });

  it("rejects invalid rules", () => {
    expect(() => createFaultSchedule([{ kind: "status", status: 200 }])).toThrow(ZodError);
  });
});
