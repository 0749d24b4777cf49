import { existsSync } from "node:fs";
import { extname, join, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * Where the package's own build of the viewer is: the first of the
 * candidates, relative to this module, that holds an `index.html`. Compiled,
 * this file is `dist/server/ui/viewer-assets.js` and the build `dist/ui/`
 * (`../../ui/`); run from source, it is `server/ui/viewer-assets.ts` and the
 * build the same `dist/ui/` (`../../dist/ui/`). Undefined while neither is
 * built.
 */
export function packagedViewerDir(): string | undefined {
  const here = fileURLToPath(new URL(".", import.meta.url));
  return [resolve(here, "../../ui"), resolve(here, "../../dist/ui")].find((dir) => existsSync(join(dir, "index.html")));
}

/** Content types of the files a viewer build holds, by extension; anything else is sent as bytes. */
const contentTypes: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".webp": "image/webp",
  ".woff2": "font/woff2",
  ".txt": "text/plain; charset=utf-8",
};

/** The content type a file is served with, from its name's extension. */
export function contentTypeOf(fileName: string): string {
  return contentTypes[extname(fileName).toLowerCase()] ?? "application/octet-stream";
}

/**
 * A name a build gives its files: letters, digits, `.`, `_` and `-`, not
 * starting with a dot (so never `.` or `..`, nor a hidden file).
 */
const safeSegment = /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/;

/**
 * The file under `dir` that the URL path segments `segments` (still
 * percent-encoded, as they arrived) name, or undefined when they cannot name
 * one of its files: a segment that does not decode, that decodes to `.` or
 * `..`, to a slash or backslash (`%2f`, `%5c`), to a NUL, or to anything but
 * a plain file name. The resolved path is checked to be inside `dir` too, so
 * nothing above it is ever read, whatever the segments were.
 */
export function assetPathOf(dir: string, segments: readonly string[]): string | undefined {
  if (segments.length === 0) {
    return undefined;
  }
  const names: string[] = [];
  for (const segment of segments) {
    let name: string;
    try {
      name = decodeURIComponent(segment);
    } catch {
      return undefined;
    }
    if (!safeSegment.test(name)) {
      return undefined;
    }
    names.push(name);
  }
  const root = resolve(dir);
  const file = resolve(root, ...names);
  return file.startsWith(root + sep) ? file : undefined;
}
