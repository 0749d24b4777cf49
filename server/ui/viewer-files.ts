import { readFile, stat } from "node:fs/promises";
import { promisify } from "node:util";
import { brotliCompress, constants, gzip } from "node:zlib";

const brotli = promisify(brotliCompress);
const gzipped = promisify(gzip);

/** The encodings the viewer's files are sent in, besides as they are. */
export type ContentEncoding = "br" | "gzip";

/** One file of the viewer's build, as read, and compressed on demand. */
export interface ViewerFile {
  readonly content: Buffer;
  /** The content in `encoding`, compressed once and kept. */
  encoded(encoding: ContentEncoding): Promise<Buffer>;
}

/** Reads the viewer's files, keeping each one read and its compressed forms until it changes. */
export interface ViewerFiles {
  /** The file at `path`; rejects as `readFile` does (ENOENT for a file that is not there, EISDIR for a directory). */
  read(path: string): Promise<ViewerFile>;
}

/** Options of {@link createViewerFiles}. */
export interface ViewerFilesOptions {
  /** The content to serve for the file at `path`, read as `content`; undefined serves it as it is. */
  readonly rewrite?: (path: string, content: Buffer) => Buffer | undefined;
}

/**
 * Creates the viewer's file cache. A file is read again when its size or
 * modification time changed (a new build); compressing it happens once per
 * version, off the event loop. Only files that exist are kept, so the cache
 * holds at most the build's few files, however many paths are asked for.
 */
export function createViewerFiles(options: ViewerFilesOptions = {}): ViewerFiles {
  const files = new Map<string, { readonly version: string; readonly file: ViewerFile }>();
  return {
    async read(path) {
      const stats = await stat(path);
      if (!stats.isFile()) {
        throw Object.assign(new Error(`${path} is not a file`), { code: "EISDIR" });
      }
      const version = `${stats.size}:${stats.mtimeMs}`;
      const kept = files.get(path);
      if (kept?.version === version) {
        return kept.file;
      }
      const read = await readFile(path);
      const content = options.rewrite?.(path, read) ?? read;
      const encodings = new Map<ContentEncoding, Promise<Buffer>>();
      const file: ViewerFile = {
        content,
        encoded(encoding) {
          let compressed = encodings.get(encoding);
          if (compressed === undefined) {
            compressed =
              encoding === "br"
                ? brotli(content, { params: { [constants.BROTLI_PARAM_QUALITY]: 9, [constants.BROTLI_PARAM_SIZE_HINT]: content.byteLength } })
                : gzipped(content, { level: 9 });
            encodings.set(encoding, compressed);
          }
          return compressed;
        },
      };
      files.set(path, { version, file });
      return file;
    },
  };
}

/**
 * The encoding to send a response in, from the request's `accept-encoding`:
 * brotli, else gzip, when the client accepts it (a `q=0` refuses it);
 * undefined sends the content as it is.
 */
export function preferredEncoding(acceptEncoding: string | undefined): ContentEncoding | undefined {
  const accepted = new Set<string>();
  for (const entry of (acceptEncoding ?? "").split(",")) {
    const [name = "", ...params] = entry.split(";").map((part) => part.trim().toLowerCase());
    const quality = params.find((param) => param.startsWith("q="));
    if (name !== "" && (quality === undefined || Number(quality.slice(2)) > 0)) {
      accepted.add(name);
    }
  }
  return accepted.has("br") ? "br" : accepted.has("gzip") ? "gzip" : undefined;
}
