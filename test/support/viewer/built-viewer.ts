import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildViewer } from "../../../viewer/build.js";

/** The viewer's pages built into a directory of their own, for `AGENT_UI_DIR`. */
export interface ViewerBuildDir {
  /** The directory holding `index.html` and `assets/`. */
  readonly dir: string;
  /** Deletes the directory. */
  remove(): Promise<void>;
}

/**
 * Builds the viewer from its sources with `buildViewer`, minified as shipped, into a new
 * temporary directory: a test file builds it once and points its services at it, so the
 * browser tests need no `npm run build` first.
 */
export async function buildViewerForTests(): Promise<ViewerBuildDir> {
  const dir = await mkdtemp(join(tmpdir(), "agent-viewer-"));
  try {
    await buildViewer({ outDir: dir, minify: true });
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}
