import { stat } from "node:fs/promises";
import { basename, join } from "node:path";
import type { ConnectNodeAdapterOptions } from "@connectrpc/connect-node";
import type { Logger } from "pino";
import { assetPathOf, contentTypeOf, packagedViewerDir } from "./viewer-assets.js";
import { createViewerFiles, preferredEncoding, type ContentEncoding, type ViewerFiles } from "./viewer-files.js";

/** A Node.js request handler, as connect-node's adapter takes for its fallback. */
type NodeHandlerFn = NonNullable<ConnectNodeAdapterOptions["fallback"]>;

/** Options of {@link withViewer}. */
export interface ViewerOptions {
  /** Serve the viewer; false leaves `/ui/` to `next`, like any unknown path (`AGENT_UI=off`). Default true. */
  readonly enabled?: boolean;
  /**
   * Where the built viewer is: `index.html` and `assets/` (`AGENT_UI_DIR`).
   * Default the package's own build, `dist/ui/` (see {@link packagedViewerDir}).
   */
  readonly assetsDir?: string | undefined;
  /**
   * How the pages authenticate their calls: `none` when every caller is the
   * local `dev` principal (no API keys, no JWT configured), `bearer` when
   * they must send an API key or a JWT.
   */
  readonly auth: "none" | "bearer";
  /** Jaeger UI base URL for the runs' trace links, without a trailing slash; default none. */
  readonly jaegerUrl?: string | undefined;
  /** The service's version, which the pages show. */
  readonly version: string;
  /** Where a file that exists but cannot be read is logged; default nowhere. */
  readonly logger?: Pick<Logger, "warn">;
}

/**
 * What every answer under `/ui/` carries: the pages load only their own
 * scripts, styles and data (no inline script or style, no other origin), are
 * never framed, and send no referrer (a run's page URL names the run).
 */
const securityHeaders = {
  "content-security-policy":
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
} as const;

const text = "text/plain; charset=utf-8";
/** Where the build's `index.html` leaves room for the settings (`viewer/index.html`). */
const configMetaPrefix = '<meta name="agent-viewer-config" content="';
const emptyConfigMeta = Buffer.from(`${configMetaPrefix}"`);
/** Asset names carry their content's hash: a name never changes content. */
const immutable = "public, max-age=31536000, immutable";
const notBuilt = "the viewer's assets are not built: run npm run build\n";
/** Smaller files are sent as they are: compressing them saves less than it costs. */
const compressMinBytes = 1_024;

/**
 * Serves the run viewer on the RPC port, and hands every other request to
 * `next`: `GET /ui` redirects to `/ui/`; `GET /ui/config.json` says how the
 * pages authenticate, where Jaeger is and the service's version (no
 * credentials needed: it says nothing a caller could use); `GET
 * /ui/assets/<file>` is a built file, cached for good; any other `GET
 * /ui/<path>` whose last segment has no dot is `index.html`, so the pages'
 * own routes (`/ui/runs/<id>`, `/ui/service`) load the app, with the settings of
 * `config.json` written into its `<meta name="agent-viewer-config">`. `HEAD` answers
 * the same without a body; other methods get 405. The data itself comes from
 * the ordinary RPCs, with their usual authentication.
 */
export function withViewer(options: ViewerOptions, next: NodeHandlerFn): NodeHandlerFn {
  if (options.enabled === false) {
    return next;
  }
  const configJson = JSON.stringify({ auth: options.auth, jaegerUrl: options.jaegerUrl ?? "", version: options.version });
  // The package's build is looked for until found, so that building it while the service runs is enough.
  let packaged: string | undefined;
  const assetsDir = () => options.assetsDir ?? (packaged ??= packagedViewerDir());
  // The settings go into `index.html` too, so the pages need no round trip for them.
  const settingsMeta = Buffer.from(`${configMetaPrefix}${escapeAttribute(configJson)}"`);
  const files = createViewerFiles({
    rewrite: (path, content) => {
      const at = basename(path) === "index.html" ? content.indexOf(emptyConfigMeta) : -1;
      return at === -1 ? undefined : Buffer.concat([content.subarray(0, at), settingsMeta, content.subarray(at + emptyConfigMeta.byteLength)]);
    },
  });

  return (req, res) => {
    const [path = "/", query] = splitQuery(req.url ?? "/");
    if (path !== "/ui" && !path.startsWith("/ui/")) {
      next(req, res);
      return;
    }
    req.resume();
    const head = req.method === "HEAD";
    const answer = (status: number, headers: Record<string, string>, body?: string | Uint8Array) => {
      const bytes = typeof body === "string" ? Buffer.from(body) : body;
      res.writeHead(status, { ...securityHeaders, ...headers, ...(bytes === undefined ? {} : { "content-length": String(bytes.byteLength) }) });
      if (head || bytes === undefined) {
        res.end();
      } else {
        res.end(bytes);
      }
    };
    if (req.method !== "GET" && !head) {
      answer(405, { allow: "GET, HEAD", "content-type": text }, `${req.method ?? "this method"} is not allowed on the viewer; use GET\n`);
      return;
    }
    if (path === "/ui") {
      answer(301, { location: `/ui/${query === undefined ? "" : `?${query}`}`, "content-type": text }, "moved to /ui/\n");
      return;
    }
    const segments = path.slice("/ui/".length).split("/");
    if (segments.length === 1 && segments[0] === "config.json") {
      answer(200, { "content-type": "application/json", "cache-control": "no-store" }, configJson);
      return;
    }
    const dir = assetsDir();
    const encoding = preferredEncoding(String(req.headers["accept-encoding"] ?? ""));
    const serve = (file: string | undefined, cacheControl: string) => void serveFile({ files, file, dir, cacheControl, encoding, answer, logger: options.logger });
    if (segments[0] === "assets") {
      serve(dir === undefined ? undefined : assetPathOf(join(dir, "assets"), segments.slice(1)), immutable);
      return;
    }
    const last = lastSegment(segments);
    if (last === undefined || last.includes(".")) {
      answer(404, { "content-type": text, "cache-control": "no-cache" }, "not found\n");
      return;
    }
    serve(dir === undefined ? undefined : join(dir, "index.html"), "no-cache");
  };
}

type Answer = (status: number, headers: Record<string, string>, body?: string | Uint8Array) => void;

/** What {@link serveFile} answers with. */
interface FileAnswer {
  readonly files: ViewerFiles;
  /** The file; undefined for a path that names no file of the build. */
  readonly file: string | undefined;
  /** The build's directory; undefined when there is none. */
  readonly dir: string | undefined;
  readonly cacheControl: string;
  /** The encoding the client prefers; undefined for none. */
  readonly encoding: ContentEncoding | undefined;
  readonly answer: Answer;
  readonly logger: ViewerOptions["logger"];
}

/**
 * Answers with a file of the build, compressed when the client accepts it
 * and it is text worth compressing: 404 when it is not there, 503 when the
 * build itself is missing (no `index.html` in its directory), 500 when it is
 * there but cannot be read.
 */
async function serveFile({ files, file, dir, cacheControl, encoding, answer, logger }: FileAnswer): Promise<void> {
  if (dir === undefined || !(await isFile(join(dir, "index.html")))) {
    answer(503, { "content-type": text, "cache-control": "no-store" }, notBuilt);
    return;
  }
  if (file === undefined) {
    answer(404, { "content-type": text, "cache-control": "no-cache" }, "not found\n");
    return;
  }
  try {
    const found = await files.read(file);
    const contentType = contentTypeOf(file);
    const headers = { "content-type": contentType, "cache-control": cacheControl, vary: "accept-encoding" };
    if (encoding !== undefined && isCompressible(contentType) && found.content.byteLength >= compressMinBytes) {
      answer(200, { ...headers, "content-encoding": encoding }, await found.encoded(encoding));
    } else {
      answer(200, headers, found.content);
    }
  } catch (err) {
    if (isMissing(err)) {
      answer(404, { "content-type": text, "cache-control": "no-cache" }, "not found\n");
      return;
    }
    logger?.warn({ err, file }, "a file of the viewer could not be read");
    answer(500, { "content-type": text, "cache-control": "no-store" }, "the viewer's file could not be read; see the service's log\n");
  }
}

/** `value` for a double-quoted HTML attribute. */
function escapeAttribute(value: string): string {
  return value.replace(/[&"'<>]/g, (char) => `&#${char.charCodeAt(0)};`);
}

/** Text, scripts, styles, JSON and SVG shrink; images and fonts are compressed already. */
function isCompressible(contentType: string): boolean {
  return contentType.startsWith("text/") || contentType.startsWith("application/json") || contentType.startsWith("image/svg+xml");
}

/** The path and the query of a request target. */
function splitQuery(url: string): [string, string | undefined] {
  const at = url.indexOf("?");
  return at === -1 ? [url, undefined] : [url.slice(0, at), url.slice(at + 1)];
}

/** The last path segment, decoded; undefined when it does not decode. */
function lastSegment(segments: readonly string[]): string | undefined {
  try {
    return decodeURIComponent(segments[segments.length - 1] ?? "");
  } catch {
    return undefined;
  }
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/** A file that is not there, or is a directory: nothing to serve. */
function isMissing(err: unknown): boolean {
  const code = err instanceof Error && "code" in err ? err.code : undefined;
  return code === "ENOENT" || code === "EISDIR" || code === "ENOTDIR";
}
