/**
 * The viewer's routes under `/ui/`, on the history API: the service answers every page path with
 * the app, which reads the path and query string and re-renders on navigation and on back/forward.
 */
import { useEffect, useState } from "preact/hooks";

/** Where the app is mounted. */
export const basePath = "/ui/";

/** A page of the app, parsed from a location. */
export type Route =
  | { readonly page: "runs"; readonly query: URLSearchParams }
  | { readonly page: "run"; readonly runId: string }
  | { readonly page: "service" }
  | { readonly page: "prompt"; readonly name: string; readonly version: string }
  | { readonly page: "not-found"; readonly path: string };

/** The routes of the pages in the application's second script (`connected.tsx`). */
export type ConnectedRoute = Extract<Route, { readonly page: "run" | "service" | "prompt" }>;

/** The route of `pathname` and `search`. */
export function parseRoute(pathname: string, search: string): Route {
  const rest = pathname.startsWith(basePath) ? pathname.slice(basePath.length) : pathname === "/ui" ? "" : null;
  if (rest === null) {
    return { page: "not-found", path: pathname };
  }
  const parts = rest.split("/").filter((part) => part !== "").map((part) => decodeURIComponent(part));
  if (parts.length === 0) {
    return { page: "runs", query: new URLSearchParams(search) };
  }
  if (parts[0] === "runs" && parts.length === 2 && parts[1] !== undefined) {
    return { page: "run", runId: parts[1] };
  }
  if (parts[0] === "service" && parts.length === 1) {
    return { page: "service" };
  }
  if (parts[0] === "prompts" && parts.length === 3 && parts[1] !== undefined && parts[2] !== undefined) {
    return { page: "prompt", name: parts[1], version: parts[2] };
  }
  return { page: "not-found", path: pathname };
}

/** The path of one run's page. */
export const runPath = (runId: string): string => `${basePath}runs/${encodeURIComponent(runId)}`;

/** The path of a prompt version's page. */
export const promptPath = (name: string, version: string): string =>
  `${basePath}prompts/${encodeURIComponent(name)}/${encodeURIComponent(version)}`;

/** The path of the service page. */
export const servicePath = `${basePath}service`;

const navigationEvent = "agent-viewer:navigate";

/** Goes to `href` (a path of this app) without a reload, adding a history entry. */
export function navigate(href: string): void {
  if (href === `${location.pathname}${location.search}`) {
    return;
  }
  history.pushState(null, "", href);
  window.dispatchEvent(new Event(navigationEvent));
}

/** The current location, updated on {@link navigate} and on back/forward. */
export function useLocation(): { pathname: string; search: string } {
  const read = () => ({ pathname: location.pathname, search: location.search });
  const [current, setCurrent] = useState(read);
  useEffect(() => {
    const update = () => setCurrent(read());
    window.addEventListener("popstate", update);
    window.addEventListener(navigationEvent, update);
    return () => {
      window.removeEventListener("popstate", update);
      window.removeEventListener(navigationEvent, update);
    };
  }, []);
  return current;
}

/**
 * Makes a plain click on a link to this app a navigation without a reload; a click with a
 * modifier (new tab, new window) or on another origin is left to the browser.
 */
export function interceptLinkClicks(root: HTMLElement): () => void {
  const onClick = (event: MouseEvent) => {
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) {
      return;
    }
    const anchor = event.target instanceof Element ? event.target.closest("a") : null;
    // In-page links (the skip link) keep the browser's own behaviour: scroll and focus.
    const href = anchor?.getAttribute("href") ?? "";
    if (anchor === null || href.startsWith("#") || anchor.target !== "" || anchor.hasAttribute("download")) {
      return;
    }
    const url = new URL(anchor.href, location.href);
    if (url.origin !== location.origin || !url.pathname.startsWith(basePath) || url.pathname.startsWith(`${basePath}assets/`)) {
      return;
    }
    event.preventDefault();
    navigate(`${url.pathname}${url.search}`);
  };
  root.addEventListener("click", onClick);
  return () => root.removeEventListener("click", onClick);
}
