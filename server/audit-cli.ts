/**
 * Verifies the audit log's hash chain in the store the service is configured
 * with (`DATABASE_URL`, or embedded PGlite under `AGENT_DATA_DIR`), and prints
 * the result:
 *
 *     npm run audit:verify
 *     node dist/server/audit-cli.js verify [--page-size <rows>]
 *
 * Exits 0 when every row verifies, 1 when one does not (naming its seq and
 * what is wrong), 2 when it cannot verify: bad arguments or configuration, an
 * unreachable database, or an embedded store a running service holds (ask
 * that service with `AuditService/VerifyAuditLog` instead).
 */
import { parseArgs } from "node:util";
import { isConfigError, loadConfig } from "./config.js";
import { isDataDirInUseError, openStore, verifyAuditLog, type ServiceStore } from "./store/index.js";

const usage =
  "usage: audit-cli verify [--page-size <rows>]\n" +
  "  verify            walks the audit log's hash chain and says whether every row verifies\n" +
  "  --page-size, -p   rows read per query; default 1000\n" +
  "  --help, -h        print this\n" +
  "The store is the one the service is configured with: DATABASE_URL, or AGENT_DATA_DIR.\n";

/** A failure the operator can fix, reported as one line on stderr without a stack. */
class AuditCliError extends Error {
  override readonly name = "AuditCliError";
}

/** The page size asked for; undefined when help was. */
function parseCommandLine(args: readonly string[]): { pageSize: number } | undefined {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...args],
      options: { "page-size": { type: "string", short: "p" }, help: { type: "boolean", short: "h" } },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    // parseArgs throws a TypeError naming the unknown option or missing value.
    throw new AuditCliError(`${error instanceof Error ? error.message : String(error)}\n${usage.trimEnd()}`);
  }
  if (parsed.values.help === true) {
    return undefined;
  }
  if (parsed.positionals.length !== 1 || parsed.positionals[0] !== "verify") {
    throw new AuditCliError(usage.trimEnd());
  }
  const pageSize = Number(parsed.values["page-size"] ?? "1000");
  if (!Number.isSafeInteger(pageSize) || pageSize < 1 || pageSize > 100_000) {
    throw new AuditCliError("--page-size must be a whole number from 1 to 100000");
  }
  return { pageSize };
}

async function openConfiguredStore(): Promise<{ store: ServiceStore; where: string }> {
  const { store: settings } = loadConfig();
  const where = settings.databaseUrl === undefined ? `PGlite at ${settings.dataDir}` : "PostgreSQL (DATABASE_URL)";
  try {
    const store = await openStore({ ...(settings.databaseUrl === undefined ? {} : { databaseUrl: settings.databaseUrl }), dataDir: settings.dataDir });
    return { store, where };
  } catch (err) {
    if (isDataDirInUseError(err)) {
      throw new AuditCliError(`${err.message}; while the service runs, verify through it: AuditService/VerifyAuditLog`);
    }
    // openStore's message names the database and never its password.
    throw new AuditCliError(err instanceof Error ? err.message : String(err));
  }
}

async function main(): Promise<number> {
  const request = parseCommandLine(process.argv.slice(2));
  if (request === undefined) {
    process.stdout.write(usage);
    return 0;
  }
  const { store, where } = await openConfiguredStore();
  try {
    const result = await verifyAuditLog(store, { pageSize: request.pageSize });
    if (result.problem === undefined) {
      process.stdout.write(`audit log ok: ${result.rowsChecked} rows verified up to seq ${result.headSeq}, in ${where}\n`);
      return 0;
    }
    process.stdout.write(
      `audit log broken at seq ${result.problem.seq} (${result.problem.kind}): ${result.problem.message}; ` +
        `${result.rowsChecked} rows checked of ${result.headSeq}, in ${where}\n`,
    );
    return 1;
  } finally {
    await store.close();
  }
}

try {
  process.exitCode = await main();
} catch (err) {
  // Exit code 1 means a broken chain, never a failure to read it.
  const message = err instanceof AuditCliError || isConfigError(err) ? err.message : `cannot verify: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`;
  process.stderr.write(`audit-cli: ${message}\n`);
  process.exitCode = 2;
}
