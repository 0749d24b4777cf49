/**
 * A second process for the lock tests: opens the PGlite directory given as
 * its argument, prints `open`, and closes it when its standard input ends.
 * Prints `error: <message>` and exits 1 when it cannot open it.
 */
import { createPgliteDatabase } from "../sql-database.js";

const dataDir = process.argv[2] ?? "";
try {
  const db = await createPgliteDatabase({ dataDir });
  process.stdout.write("open\n");
  process.stdin.resume();
  process.stdin.once("end", () => {
    void db.close().then(() => process.exit(0));
  });
} catch (err) {
  process.stdout.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}
