/**
 * The run viewer's entry: reads the deployment's settings, signs in when the service needs
 * credentials, learns who the caller is, and renders the page of the current location. The runs
 * list and the sign-in are in this script and call the service with Connect's JSON; the run,
 * service and prompt pages, with the Connect client and the Protobuf runtime, are a second script
 * (`connected.tsx`), loaded when one of them is opened or once the list has shown its first page.
 */
import { render, type ComponentChildren } from "preact";
import { useCallback, useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";
import type { GetCallerResponseJson } from "../../gen/agent/v1/run_service_pb.js";
import { getCaller } from "./call-json.js";
import { ErrorAlert } from "./components/error-alert.js";
import { errorMessageOf, isUnauthenticatedOf } from "./failure.js";
import { prefetchFirstPage, type FirstPagePrefetch } from "./first-page-prefetch.js";
import { RunsListPage } from "./pages/runs-list.js";
import { SignInPage } from "./pages/sign-in.js";
import { takePreloaded, type Preloaded } from "./preload-handoff.js";
import { loadConnected, type ConnectedPages } from "./connected-loader.js";
import { basePath, interceptLinkClicks, parseRoute, servicePath, useLocation, type ConnectedRoute, type Route } from "./router.js";
import { SessionContext, type Caller, type Session } from "./session.js";
import { loadViewerConfig, parseViewerConfig, settingsInPage, storeToken, storedToken, type ViewerConfig } from "./settings.js";

/** Where the app stands before it can show a page. */
type Phase =
  | { readonly kind: "loading" }
  | { readonly kind: "failed"; readonly message: string }
  | { readonly kind: "sign-in"; readonly config: ViewerConfig; readonly notice?: string }
  | { readonly kind: "ready"; readonly session: Session; readonly token?: string };

const rejectedMessage = "That key or token was not accepted. Check it and try again.";

/** The caller of a `GetCaller` answer. */
function callerOf(answer: GetCallerResponseJson): Caller {
  return { principal: answer.principal ?? "", isAdmin: answer.roles?.includes("admin") ?? false };
}

/** Who `token` is (`GetCaller`); "rejected" when the service refuses it. */
async function askCaller(token: string | undefined): Promise<Caller | "rejected"> {
  try {
    return callerOf(await getCaller({}, { token }));
  } catch (err) {
    if (isUnauthenticatedOf(err)) {
      return "rejected";
    }
    throw err;
  }
}

/** Who the preload script learned the caller is; undefined when it did not. */
async function preloadedCaller(preloaded: Preloaded | undefined): Promise<Caller | undefined> {
  const answer = await preloaded?.caller;
  return answer === undefined ? undefined : callerOf(answer);
}

/**
 * Started as the script runs, before the first render: the deployment's settings and, with a
 * token kept from this tab's sign-in, who it is, side by side (one round trip less before the
 * first page). Without a token the settings say whether to ask at all: a call without
 * credentials would be refused.
 */
function startBoot() {
  const token = storedToken();
  // The preload script's answers, when it ran with this token: then its calls are not repeated.
  const taken = takePreloaded();
  const preloaded = taken?.token === token ? taken : undefined;
  const inPage = settingsInPage();
  const config =
    inPage !== undefined
      ? Promise.resolve(parseViewerConfig(inPage))
      : preloaded === undefined
        ? loadViewerConfig()
        : preloaded.settings.then((body) => (body === undefined ? loadViewerConfig() : parseViewerConfig(body)));
  const caller = token === undefined ? undefined : preloadedCaller(preloaded).then((known) => known ?? askCaller(token));
  // Observed below; never an unhandled rejection while the settings load.
  caller?.catch(() => undefined);
  const firstPage = token === undefined ? undefined : prefetchFirstPage(token, preloaded?.firstPage);
  return { token, config, caller, firstPage, preloaded };
}

function App({ boot }: { readonly boot: ReturnType<typeof startBoot> }) {
  const [phase, setPhase] = useState<Phase>({ kind: "loading" });

  const signedOut = useCallback((config: ViewerConfig, notice?: string) => {
    storeToken(undefined);
    setPhase({ kind: "sign-in", config, ...(notice === undefined ? {} : { notice }) });
  }, []);

  /** The signed-in phase of `caller`, calling with `token`. */
  const ready = useCallback(
    (config: ViewerConfig, caller: Caller, token: string | undefined, firstPage?: FirstPagePrefetch): Phase => ({
      kind: "ready",
      session: {
        token: config.auth === "bearer" ? token : undefined,
        config,
        caller,
        ...(firstPage === undefined ? {} : { firstPage }),
        signedOut: () => signedOut(config, "The service no longer accepts these credentials: sign in again."),
      },
      ...(config.auth === "bearer" && token !== undefined ? { token } : {}),
    }),
    [signedOut],
  );

  /** Asks the service who `token` is; the phase it leads to, or a rejection. */
  const startSession = useCallback(
    async (config: ViewerConfig, token: string | undefined, prefetch: boolean, preloaded?: Preloaded): Promise<Phase | "rejected"> => {
      const sent = config.auth === "bearer" ? token : undefined;
      const firstPage = prefetch ? prefetchFirstPage(sent, preloaded?.firstPage) : undefined;
      const caller = (await preloadedCaller(preloaded)) ?? (await askCaller(sent));
      return caller === "rejected" ? caller : ready(config, caller, token, firstPage);
    },
    [ready],
  );

  // A layout effect: the first page's calls start in the same task as the first render, not a frame later.
  useLayoutEffect(() => {
    let current = true;
    void (async () => {
      try {
        const config = await boot.config;
        const { token } = boot;
        if (config.auth === "bearer" && token === undefined) {
          setPhase({ kind: "sign-in", config });
          return;
        }
        let next: Phase | "rejected";
        if (config.auth === "bearer" && boot.caller !== undefined) {
          const caller = await boot.caller;
          next = caller === "rejected" ? caller : ready(config, caller, token, boot.firstPage);
        } else {
          // No credentials to check (the local principal): the first page can be asked for at once.
          next = await startSession(config, token, config.auth === "none", config.auth === "none" ? boot.preloaded : undefined);
        }
        if (!current) {
          return;
        }
        if (next === "rejected") {
          signedOut(config, config.auth === "bearer" ? "Your session has ended: sign in again." : undefined);
        } else {
          setPhase(next);
        }
      } catch (err) {
        if (current) {
          setPhase({ kind: "failed", message: errorMessageOf(err) });
        }
      }
    })();
    return () => {
      current = false;
    };
  }, [boot, ready, startSession, signedOut]);

  // Signing in or out replaces the whole page: start keyboards and screen readers at its content.
  const shown = useRef<Phase["kind"]>("loading");
  useEffect(() => {
    const before = shown.current;
    shown.current = phase.kind;
    if (before !== "loading" && before !== phase.kind) {
      document.getElementById("content")?.focus();
    }
  }, [phase.kind]);

  switch (phase.kind) {
    case "loading":
      return (
        <Frame>
          <p class="loading">Loading…</p>
        </Frame>
      );
    case "failed":
      return (
        <Frame>
          <h1>Run viewer</h1>
          <ErrorAlert message={phase.message} />
        </Frame>
      );
    case "sign-in": {
      const { config } = phase;
      const onSignIn = async (token: string): Promise<string | undefined> => {
        try {
          // Not before the key is accepted: a refused key would be refused twice.
          const next = await startSession(config, token, false);
          if (next === "rejected") {
            return rejectedMessage;
          }
          storeToken(token);
          setPhase(next);
          return undefined;
        } catch (err) {
          return errorMessageOf(err);
        }
      };
      return (
        <Frame>
          <SignInPage onSignIn={onSignIn} {...(phase.notice === undefined ? {} : { notice: phase.notice })} />
        </Frame>
      );
    }
    case "ready":
      return (
        <SessionContext.Provider value={phase.session}>
          <Frame
            nav
            principal={phase.session.caller.principal}
            {...(phase.token === undefined ? {} : { onSignOut: () => signedOut(phase.session.config) })}
          >
            <CurrentPage />
          </Frame>
        </SessionContext.Provider>
      );
  }
}

/** The page around every view: skip link, banner (with navigation once signed in), main. */
function Frame(props: {
  readonly children: ComponentChildren;
  readonly nav?: boolean;
  readonly principal?: string;
  readonly onSignOut?: () => void;
}) {
  return (
    <>
      <a class="skip-link" href="#content">
        Skip to content
      </a>
      <header class="banner">
        <span class="product">Agent service</span>
        {props.nav === true && (
          <nav aria-label="Main">
            <a href={basePath}>Runs</a>
            <a href={servicePath}>Service</a>
          </nav>
        )}
        {props.principal !== undefined && (
          <span class="principal">
            <span class="visually-hidden">Signed in as </span>
            {props.principal}
          </span>
        )}
        {props.onSignOut !== undefined && (
          <button type="button" class="secondary" onClick={props.onSignOut}>
            Sign out
          </button>
        )}
      </header>
      <main id="content" tabIndex={-1}>
        {props.children}
      </main>
    </>
  );
}

const titles: Readonly<Record<Route["page"], string>> = {
  runs: "Runs",
  run: "Run",
  service: "Service",
  prompt: "Prompt",
  "not-found": "Not found",
};

/** The page of the current location; focus moves to it when the location changes. */
function CurrentPage() {
  const { pathname, search } = useLocation();
  const route = parseRoute(pathname, search);
  const first = useRef(true);
  useEffect(() => {
    document.title = `${titles[route.page]} · Agent service`;
    if (first.current) {
      first.current = false;
      return;
    }
    // A new page: screen readers and keyboards start at its content, as after a page load.
    document.getElementById("content")?.focus();
  }, [pathname]);
  switch (route.page) {
    case "runs":
      return <RunsListPage query={route.query} />;
    case "run":
    case "service":
    case "prompt":
      return <ConnectedPage route={route} />;
    case "not-found":
      return (
        <>
          <h1>Not found</h1>
          <p>
            There is no page at {route.path}. <a href={basePath}>Back to the run list</a>.
          </p>
        </>
      );
  }
}

/** A page of the second script: shown once it has loaded, with a sentence if it cannot. */
function ConnectedPage({ route }: { readonly route: ConnectedRoute }) {
  const [pages, setPages] = useState<ConnectedPages | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  useLayoutEffect(() => {
    let current = true;
    loadConnected().then(
      (loaded) => current && setPages(loaded),
      () => current && setError("This page's script could not be loaded. Check the connection to the service and reload the page."),
    );
    return () => {
      current = false;
    };
  }, []);
  if (pages === undefined) {
    return error === undefined ? <p class="loading">Loading…</p> : <ErrorAlert message={error} />;
  }
  return <pages.ConnectedPage route={route} />;
}

const root = document.getElementById("app");
if (root !== null) {
  interceptLinkClicks(document.body);
  render(<App boot={startBoot()} />, root);
}
