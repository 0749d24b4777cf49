import { timestampDate } from "@bufbuild/protobuf/wkt";
import { useEffect, useState } from "preact/hooks";
import { PromptKind, PromptRole, type PromptVersion } from "../../../gen/agent/v1/prompt_service_pb.js";
import { failureHandler, useApi } from "../api.js";
import { ErrorAlert } from "../components/error-alert.js";
import { Fact } from "../components/fact.js";
import { formatTime } from "../format.js";
import { useSession } from "../session.js";

const roleWords: Readonly<Record<PromptRole, string>> = {
  [PromptRole.UNSPECIFIED]: "Message",
  [PromptRole.SYSTEM]: "System",
  [PromptRole.HUMAN]: "Human",
  [PromptRole.AI]: "AI",
};

/** A prompt version's content (`PromptService.GetPrompt`). */
export function PromptPage({ name, version }: { readonly name: string; readonly version: string }) {
  const api = useApi();
  const { signedOut } = useSession();
  const [prompt, setPrompt] = useState<PromptVersion | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  useEffect(() => {
    const controller = new AbortController();
    const { signal } = controller;
    void (async () => {
      try {
        const answer = await api.prompts.getPrompt({ name, version }, { signal });
        setPrompt(answer.version);
      } catch (err) {
        failureHandler(signal, signedOut, setError)(err);
      }
    })();
    return () => controller.abort();
  }, [api, name, version, signedOut]);

  const content = prompt?.content;
  return (
    <>
      <h1>{`Prompt ${name}@${version}`}</h1>
      <ErrorAlert message={error} />
      {prompt === undefined
        ? error === undefined && <p class="loading">Loading the prompt…</p>
        : (
          <>
            <section class="panel" aria-labelledby="prompt-facts-heading">
              <h2 id="prompt-facts-heading">Version</h2>
              <dl class="summary">
                <Fact label="Kind">{content?.kind === PromptKind.CHAIN ? "Chain (one model call)" : "Agent (tool-calling loop)"}</Fact>
                <Fact label="Active">{prompt.active ? "Yes" : "No"}</Fact>
                <Fact label="Author">{prompt.author === "" ? "—" : prompt.author}</Fact>
                <Fact label="Registered">{prompt.createdAt === undefined ? "—" : formatTime(timestampDate(prompt.createdAt))}</Fact>
                <Fact label="Note">{prompt.note === "" ? "—" : prompt.note}</Fact>
                <Fact label="Variables">{content === undefined || content.inputVariables.length === 0 ? "—" : content.inputVariables.join(", ")}</Fact>
                <Fact label="Tools">{content === undefined || content.tools.length === 0 ? "Every registered tool" : content.tools.join(", ")}</Fact>
                <Fact label="Temperature">{content?.temperature === undefined ? "The deployment's" : String(content.temperature)}</Fact>
                <Fact label="Max output tokens">{content === undefined || content.maxOutputTokens === 0 ? "The deployment's" : String(content.maxOutputTokens)}</Fact>
              </dl>
            </section>
            <section class="panel" aria-labelledby="prompt-messages-heading">
              <h2 id="prompt-messages-heading">Messages</h2>
              <ol class="messages">
                {(content?.messages ?? []).map((message, index) => (
                  <li key={index}>
                    <h3>{roleWords[message.role]}</h3>
                    <pre class="text">{message.template}</pre>
                  </li>
                ))}
              </ol>
            </section>
            {content?.outputSchema !== undefined && (
              <section class="panel" aria-labelledby="prompt-schema-heading">
                <h2 id="prompt-schema-heading">Output schema</h2>
                <pre class="code">{JSON.stringify(content.outputSchema, null, 2)}</pre>
              </section>
            )}
          </>
        )}
    </>
  );
}
