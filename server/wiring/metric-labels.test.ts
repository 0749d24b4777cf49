import { describe, expectTypeOf, it } from "vitest";
import type { ToolCallErrorReason } from "../agent/tools/index.js";
import type { ModelCallOutcome } from "../model/model-call-telemetry.js";
import type { BreakerState } from "../model/model-policy.js";
import type * as metrics from "../telemetry/service-metrics.js";

// Telemetry is a leaf and restates the label values the model and agent layers
// produce; the composition root is where both are in view, so the check that
// they agree lives here. These are type assertions: `npm run typecheck` fails
// when a set drifts, whichever side gains or loses a value.
describe("the metrics' label values", () => {
  it("are the model layer's call outcomes", () => {
    expectTypeOf<metrics.ModelCallOutcome>().toEqualTypeOf<ModelCallOutcome>();
  });

  it("are the model layer's breaker states", () => {
    expectTypeOf<metrics.BreakerState>().toEqualTypeOf<BreakerState>();
  });

  it("are the tool runner's failure reasons, and ok", () => {
    expectTypeOf<metrics.ToolCallOutcome>().toEqualTypeOf<"ok" | ToolCallErrorReason>();
  });
});
