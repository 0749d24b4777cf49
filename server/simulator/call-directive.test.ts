import { describe, expect, it } from "vitest";
import { findCallDirectives } from "./call-directive.js";

describe("findCallDirectives", () => {
  it("reads each directive's tool name and JSON arguments, in order", () => {
    expect(findCallDirectives('Look it up: #call weather {"city": "Oslo {north}", "n": 2} then #call echo_tool')).toEqual([
      { name: "weather", arguments: { city: "Oslo {north}", n: 2 } },
      { name: "echo_tool", arguments: {} },
    ]);
  });

  it("treats an object that does not parse, or is not an object, as no arguments", () => {
    expect(findCallDirectives("#call a {broken #call b [1, 2]")).toEqual([
      { name: "a", arguments: {} },
      { name: "b", arguments: {} },
    ]);
  });

  it("finds nothing in text without the directive", () => {
    expect(findCallDirectives("call the weather tool")).toEqual([]);
  });
});
