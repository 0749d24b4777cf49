/**
 * An enum value of a message as its JSON name (`RunStatus.FAILED` → `RUN_STATUS_FAILED`), the
 * form `format.ts` and the status badge take: for the pages that read messages, with the Protobuf
 * runtime's descriptor of the enum.
 */
import type { GenEnum } from "@bufbuild/protobuf/codegenv2";

/** The JSON name of `value` in `schema`; the name of the zero value for a number the schema lacks. */
export function enumJson<Value extends number, Json extends string>(schema: GenEnum<Value, Json>, value: Value): Json {
  const named = schema.value[value] as { readonly name: string } | undefined;
  return (named?.name ?? schema.values[0]?.name ?? "") as Json;
}
