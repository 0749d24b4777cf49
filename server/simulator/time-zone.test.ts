import { describe, expect, it } from "vitest";
import { asksForTime, findTimeZone } from "./time-zone.js";

describe("findTimeZone", () => {
  describe.each([
    ["What time is it in Europe/Paris?", "Europe/Paris"],
    ["Time in America/Argentina/Buenos_Aires please", "America/Argentina/Buenos_Aires"],
    ["What time is it in Tokyo?", "Asia/Tokyo"],
    ["clock in new   york", "America/New_York"],
    ["Is it late in London or Sydney?", "Europe/London"],
    ["What time is it?", "UTC"],
    ["What time is it on Mars?", "UTC"],
  ])("for %j", (text, zone) => {
    it(`is ${zone}`, () => {
      expect(findTimeZone(text)).toBe(zone);
    });
  });
});

describe("asksForTime", () => {
  it.each([
    ["What time is it?", true],
    ["What's on the clock", true],
    ["What day is it today", true],
    ["Which date is it", true],
    ["Please update the sometimes file", false],
    ["Hello", false],
  ])("%j → %s", (text, expected) => {
    expect(asksForTime(text)).toBe(expected);
  });
});
