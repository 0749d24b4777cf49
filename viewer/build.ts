/**
 * Builds the run viewer: `viewer/src/main.tsx` bundled with esbuild (ES2022, for browsers), its
 * stylesheet, and `index.html` naming both by content-hashed paths under `/ui/assets/`, which the
 * service serves as immutable. Run as a script it writes `dist/ui/` (`npm run build:ui`).
 */
import * as esbuild from "esbuild";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { basename, dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** Options for {@link buildViewer}. */
export interface BuildViewerOptions {
  /** Where to write `index.html` and `assets/`; emptied first. */
  readonly outDir: string;
  /** Minify the script and stylesheet. Default true. */
  readonly minify?: boolean;
}

/** What {@link buildViewer} wrote, as paths relative to `outDir`. */
export interface BuiltViewer {
  readonly script: string;
  readonly stylesheet: string;
}

/** The URL path the service serves the built assets under. */
const assetsPath = "/ui/assets/";

const viewerDir = dirname(fileURLToPath(import.meta.url));

/** Builds the viewer into `outDir`. */
export async function buildViewer(options: BuildViewerOptions): Promise<BuiltViewer> {
  const outDir = resolve(options.outDir);
  const assetsDir = join(outDir, "assets");
  await rm(outDir, { recursive: true, force: true });
  await mkdir(assetsDir, { recursive: true });
  const result = await esbuild.build({
    entryPoints: {
      viewer: join(viewerDir, "src", "main.tsx"),
      "viewer-styles": join(viewerDir, "styles.css"),
      preload: join(viewerDir, "src", "preload.ts"),
    },
    outdir: assetsDir,
    entryNames: "[name]-[hash]",
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    jsx: "automatic",
    jsxImportSource: "preact",
    minify: options.minify ?? true,
    sourcemap: false,
    legalComments: "none",
    metafile: true,
    write: true,
    logLevel: "silent",
  });
  const outputs = Object.entries(result.metafile.outputs).map(([path, output]) => ({
    file: relative(assetsDir, resolve(path)),
    entry: output.entryPoint === undefined ? undefined : resolve(output.entryPoint),
  }));
  const outputOf = (entry: string) => outputs.find((output) => output.entry === join(viewerDir, ...entry.split("/")))?.file;
  const script = outputOf("src/main.tsx");
  const preload = outputOf("src/preload.ts");
  const stylesheet = outputOf("styles.css");
  if (script === undefined || preload === undefined || stylesheet === undefined) {
    throw new Error(`the viewer build wrote no script, preload script or stylesheet (wrote: ${outputs.map((output) => output.file).join(", ") || "nothing"})`);
  }
  const template = await readFile(join(viewerDir, "index.html"), "utf8");
  const html = template
    .replace("{{preload}}", `${assetsPath}${basename(preload)}`)
    .replace("{{script}}", `${assetsPath}${basename(script)}`)
    .replace("{{stylesheet}}", `${assetsPath}${basename(stylesheet)}`);
  await writeFile(join(outDir, "index.html"), html);
  return { script: `assets/${basename(script)}`, stylesheet: `assets/${basename(stylesheet)}` };
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const outDir = join(viewerDir, "..", "dist", "ui");
  const built = await buildViewer({ outDir });
  console.error(`built the viewer into ${relative(process.cwd(), outDir) || "."}: ${built.script}, ${built.stylesheet}`);
}
