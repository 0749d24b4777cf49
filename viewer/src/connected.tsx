/**
 * The pages that need the Connect client and the Protobuf runtime (a run, followed live through
 * `WatchRun`; the service; a prompt version): the application's second script, loaded by
 * `main.tsx` when one of them is opened, or once the runs list has shown its first page.
 */
import { PromptPage } from "./pages/prompt.js";
import { RunDetailPage } from "./pages/run-detail.js";
import { ServicePage } from "./pages/service.js";
import type { ConnectedRoute } from "./router.js";

/** The page of `route`. */
export function ConnectedPage({ route }: { readonly route: ConnectedRoute }) {
  switch (route.page) {
    case "run":
      return <RunDetailPage key={route.runId} runId={route.runId} />;
    case "service":
      return <ServicePage />;
    case "prompt":
      return <PromptPage key={`${route.name}@${route.version}`} name={route.name} version={route.version} />;
  }
}
