/**
 * Builds the run viewer: `viewer/src/main.tsx` bundled with esbuild (ES2022, for browsers) and
 * split where it loads `connected.tsx` on demand, the preload script, the stylesheet, and
 * `index.html` naming them by content-hashed paths under `/ui/assets/`, which the service serves
 * as immutable. Run as a script it writes `dist/ui/` (`npm run build:ui`).
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
  /** The application's other scripts: its shared chunks and the pages it loads on demand. */
  readonly chunks: readonly string[];
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
  const common = {
    outdir: assetsDir,
    entryNames: "[name]-[hash]",
    chunkNames: "[name]-[hash]",
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
  } satisfies esbuild.BuildOptions;
  const [app, preloadBuild] = await Promise.all([
    // The application, split: what the runs list needs, and the pages `connected.tsx` loads.
    esbuild.build({
      ...common,
      entryPoints: { viewer: join(viewerDir, "src", "main.tsx"), "viewer-styles": join(viewerDir, "styles.css") },
      splitting: true,
    }),
    // The preload script alone, in one file: it must not wait for a chunk it shares with the application.
    esbuild.build({ ...common, entryPoints: { preload: join(viewerDir, "src", "preload.ts") } }),
  ]);
  const outputs = [...Object.entries(app.metafile.outputs), ...Object.entries(preloadBuild.metafile.outputs)].map(([path, output]) => ({
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
  // Every other script of the application (its chunks, the second script) is fetched at once, run when imported.
  const chunks = outputs
    .filter((output) => output.file.endsWith(".js") && output.file !== script && output.file !== preload)
    // The first script's own chunks first: the pages loaded on demand are needed later.
    .sort((a, b) => Number(a.entry !== undefined) - Number(b.entry !== undefined))
    .map((output) => output.file);
  const modulePreloads = chunks.map((file) => `<link rel="modulepreload" href="${assetsPath}${basename(file)}" />`).join("\n    ");
  const template = await readFile(join(viewerDir, "index.html"), "utf8");
  const html = template
    .replace("{{preload}}", `${assetsPath}${basename(preload)}`)
    .replace("{{script}}", `${assetsPath}${basename(script)}`)
    .replace("{{stylesheet}}", `${assetsPath}${basename(stylesheet)}`)
    .replace("{{modulepreload}}", modulePreloads);
  await writeFile(join(outDir, "index.html"), html);
  return { script: `assets/${basename(script)}`, stylesheet: `assets/${basename(stylesheet)}`, chunks: chunks.map((file) => `assets/${basename(file)}`) };
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const outDir = join(viewerDir, "..", "dist", "ui");
  const built = await buildViewer({ outDir });
  console.error(`built the viewer into ${relative(process.cwd(), outDir) || "."}: ${[built.script, built.stylesheet, ...built.chunks].join(", ")}`);
}
