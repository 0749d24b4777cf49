import type { ChatResponseFormat } from "./chat-request.js";
import { schemaExample } from "./schema-example.js";

/**
 * `#invalid-json` in the latest user message: the structured answer to it is cut short, so it is
 * not valid JSON. A client that sends the error back (as a new user message, which has no
 * directive) then gets a valid answer: a test sees one failed answer and its retry.
 */
const invalidJsonDirective = "#invalid-json";

/**
 * The answer in structured-output mode (a `json_schema` response format): a JSON document made up
 * from the schema (see `schema-example.ts`), indented so it streams in several chunks, or, for
 * `#invalid-json` in `question`, that document without its last character.
 */
export function structuredAnswer(format: ChatResponseFormat, question: string): string {
  const json = JSON.stringify(schemaExample(format.schema), null, 2);
  return question.includes(invalidJsonDirective) ? json.slice(0, -1) : json;
}
