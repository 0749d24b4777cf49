import { writeFile } from "node:fs/promises";
import { createStoreTemplate } from "./store/index.js";

/**
 * Writes a dump of an empty embedded store with the current schema to the
 * file named on the command line, for `AGENT_DATA_TEMPLATE`: a new embedded
 * store (a fresh `AGENT_DATA_DIR`, or `memory://`) then starts from it in
 * about 0.3 s instead of running PGlite's initdb (1.5–3 s). Rebuild it after
 * an upgrade that adds a migration; an older template is migrated at start-up.
 */
const [path] = process.argv.slice(2);
if (path === undefined) {
  process.stderr.write("usage: npm run store:template -- <file>\n");
  process.exit(2);
}
await writeFile(path, Buffer.from(await (await createStoreTemplate()).arrayBuffer()));
process.stdout.write(`wrote an empty store template to ${path}\n`);
