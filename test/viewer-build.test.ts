import { readFile, readdir } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildViewerForTests, type ViewerBuildDir } from "./support/viewer/built-viewer.js";

// The viewer's build, as shipped: the runs list's first page needs only a small first script, with
// no Protobuf runtime (the run, service and prompt pages and the Connect client are a second
// script), and index.html has the browser fetch every script at once.

/** What the runs list may load before its first page: the preload script, the application and its chunks. */
const firstViewBudgetBytes = 64 * 1024;
/** A string of the Protobuf runtime's bootstrapped descriptors: present wherever the runtime is. */
const protobufRuntimeMark = "FileDescriptorProto";

let viewer: ViewerBuildDir;
let html: string;
const scripts = new Map<string, string>();

beforeAll(async () => {
  viewer = await buildViewerForTests();
  html = await readFile(join(viewer.dir, "index.html"), "utf8");
  for (const file of await readdir(join(viewer.dir, "assets"))) {
    if (file.endsWith(".js")) {
      scripts.set(file, await readFile(join(viewer.dir, "assets", file), "utf8"));
    }
  }
}, 60_000);

afterAll(() => viewer?.remove());

/** The files `index.html` names in `<tag … attribute="/ui/assets/…">`, in order. */
function named(pattern: RegExp): string[] {
  return [...html.matchAll(pattern)].map((match) => match[1] ?? "");
}

/** The scripts `file` imports statically (not `import()`), and theirs. */
function staticImports(file: string, seen = new Set<string>()): Set<string> {
  for (const match of (scripts.get(file) ?? "").matchAll(/(?:from|import)\s*"\.\/([^"]+\.js)"/g)) {
    const imported = match[1] ?? "";
    if (!seen.has(imported)) {
      seen.add(imported);
      staticImports(imported, seen);
    }
  }
  return seen;
}

describe("the viewer's build", () => {
  it("names the preload script, the application and every other script, and leaves room for the settings", () => {
    const [preload, app, ...others] = named(/<script type="module" src="\/ui\/assets\/([^"]+)"/g);
    expect(others).toEqual([]);
    expect(preload).toMatch(/^preload-[A-Z0-9]+\.js$/);
    expect(app).toMatch(/^viewer-[A-Z0-9]+\.js$/);
    const preloaded = named(/<link rel="modulepreload" href="\/ui\/assets\/([^"]+)"/g);
    expect(new Set([preload, app, ...preloaded])).toEqual(new Set(scripts.keys()));
    // The application's own chunks before the pages it loads on demand.
    expect(preloaded.at(-1)).toMatch(/^connected-/);
    expect(html).toContain('<meta name="agent-viewer-config" content="" />');
  });

  it("gives the runs list a first script without the Protobuf runtime, within its budget", () => {
    const [preload = "", app = ""] = named(/<script type="module" src="\/ui\/assets\/([^"]+)"/g);
    const firstView = [preload, app, ...staticImports(app)];
    expect(firstView.some((file) => file.startsWith("connected-"))).toBe(false);
    for (const file of firstView) {
      expect(scripts.get(file)?.includes(protobufRuntimeMark), `${file} holds the Protobuf runtime`).toBe(false);
    }
    const bytes = firstView.reduce((sum, file) => sum + Buffer.byteLength(scripts.get(file) ?? ""), 0);
    expect(bytes).toBeLessThan(firstViewBudgetBytes);
    // The check finds the runtime where it is: in the pages loaded on demand.
    const connected = [...scripts.keys()].filter((file) => file.startsWith("connected-"));
    expect(connected).toHaveLength(1);
    expect(scripts.get(connected[0] ?? "")?.includes(protobufRuntimeMark)).toBe(true);
  });
});
