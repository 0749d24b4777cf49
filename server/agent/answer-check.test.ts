import { describe, expect, it } from "vitest";
import { createAnswerCheck } from "./answer-check.js";

const schema = { type: "object", properties: { label: { enum: ["positive", "negative"] } }, required: ["label"] } as const;

describe("answer check", () => {
  it("is absent for a prompt version without an output schema", () => {
    expect(createAnswerCheck({ id: "free@0123456789abcdef" })).toBeUndefined();
  });

  it("accepts an object that validates, fenced or not, as the parsed value", () => {
    const check = createAnswerCheck({ id: "sentiment@0123456789abcdef", outputSchema: schema });
    expect(check?.check('{"label": "positive"}')).toEqual({ ok: true, value: { label: "positive" } });
    expect(check?.check('```json\n{"label": "negative"}\n```')).toEqual({ ok: true, value: { label: "negative" } });
  });

  it("refuses a value that is not an object even where a schema stored before the object rule allows it", () => {
    const check = createAnswerCheck({ id: "old@0123456789abcdef", outputSchema: { type: ["object", "array"] } });
    expect(check?.check("[1, 2]")).toEqual({ ok: false, errors: ["$: must be a JSON object"] });
  });

  it("names the schema after the prompt, in the characters a provider accepts", () => {
    expect(createAnswerCheck({ id: "team.sentiment v2@0123456789abcdef", outputSchema: schema })?.outputFormat).toEqual({ name: "team_sentiment_v2", schema });
  });

  it("writes a correction that lists the errors and the schema, and asks for JSON only", () => {
    const correction = createAnswerCheck({ id: "sentiment@0123456789abcdef", outputSchema: schema })?.correction(["$.label: must be one of \"positive\", \"negative\""]);
    expect(correction?.getType()).toBe("human");
    expect(correction?.content).toBe(
      [
        "Your answer does not match the required output schema:",
        '- $.label: must be one of "positive", "negative"',
        `Reply with only a JSON object that matches this JSON Schema, and no other text: ${JSON.stringify(schema)}`,
      ].join("\n"),
    );
  });
});
