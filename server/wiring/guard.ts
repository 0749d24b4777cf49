import type { Config } from "../config.js";
import { createInputScreen } from "../guard/input-screen.js";
import { createRedactor, isRedactorConfigError } from "../guard/redaction.js";
import { createStreamRedactor } from "../guard/stream-redactor.js";
import type { OutputRedaction } from "../runs/redacted-events.js";
import { StartupError } from "../startup-error.js";
import { createToolResultScreen } from "../guard/tool-result-screen.js";
import type { InputScreenCheck } from "../rpc/validation-interceptor.js";

/** The prompt-injection screens: of a run's input (rejected), and of each tool result (neutralised). */
export interface InjectionScreens {
  readonly input: InputScreenCheck | undefined;
  readonly toolResult: ((result: string) => { flagged: boolean; text: string; ruleIds: readonly string[] }) | undefined;
}

/** Builds both screens from one rule set and threshold; none when `AGENT_INJECTION_SCREEN=off`. */
export function wireInjectionScreens(settings: Config["injectionScreen"]): InjectionScreens {
  if (settings === undefined) {
    return { input: undefined, toolResult: undefined };
  }
  const inputScreen = createInputScreen({ threshold: settings.threshold });
  const toolResults = createToolResultScreen(inputScreen);
  return {
    input: (input) => inputScreen.screen(input),
    toolResult: (result) => {
      const verdict = toolResults.screenToolResult(result);
      return { flagged: verdict.flagged, text: verdict.text, ruleIds: verdict.hits.map((hit) => hit.ruleId) };
    },
  };
}

/** The redaction of every run's events; none when `AGENT_REDACTION=off`. A custom pattern that cannot be used fails the start. */
export function wireRedaction(settings: Config["redaction"]): OutputRedaction | undefined {
  if (settings === undefined) {
    return undefined;
  }
  let redactor;
  try {
    redactor = createRedactor({ kinds: settings.kinds, customPatterns: settings.customPatterns });
  } catch (err) {
    throw new StartupError("AGENT_REDACTION_PATTERNS", isRedactorConfigError(err) ? err.message : String(err), { cause: err });
  }
  const ready = redactor;
  return {
    redact: (text) => (text === "" ? text : ready.redact(text).text),
    stream: () => createStreamRedactor(ready),
  };
}
