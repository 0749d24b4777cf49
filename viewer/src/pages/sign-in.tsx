import { useState } from "preact/hooks";
import { ErrorAlert } from "../components/error-alert.js";

/** What the sign-in form needs from the app. */
export interface SignInProps {
  /** Tries `token`; resolves with a message to show when it was not accepted. */
  readonly onSignIn: (token: string) => Promise<string | undefined>;
  /** Why the user is here again, such as a token that stopped working. */
  readonly notice?: string;
}

/** The sign-in page: one field for an API key or a bearer token, nothing else. */
export function SignInPage({ onSignIn, notice }: SignInProps) {
  const [token, setToken] = useState("");
  const [rejected, setRejected] = useState<string | undefined>(notice);
  const [busy, setBusy] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    if (token.trim() === "") {
      setRejected("Enter an API key or a bearer token.");
      return;
    }
    setBusy(true);
    const message = await onSignIn(token.trim());
    setBusy(false);
    setRejected(message);
  };
  return (
    <div class="sign-in">
      <h1>Sign in</h1>
      <p>This service needs credentials: an API key or a bearer token (JWT) issued for it.</p>
      <ErrorAlert message={rejected} />
      <form class="sign-in-form" onSubmit={(event) => void submit(event)}>
        <label for="token">API key or bearer token</label>
        <input
          id="token"
          type="password"
          autocomplete="current-password"
          value={token}
          onInput={(event) => setToken(event.currentTarget.value)}
          required
        />
        <button type="submit" disabled={busy}>
          Sign in
        </button>
      </form>
    </div>
  );
}
