import { createHash, timingSafeEqual } from "node:crypto";
import { readFile } from "node:fs/promises";
import { z } from "zod";
import { roles, type Principal, type Role } from "./principal.js";

/**
 * One entry of the API keys file: who a key belongs to, its roles, and the
 * SHA-256 of the key (never the key itself, so the file holds no usable key).
 * Make one with `openssl rand -hex 32` for the key and
 * `printf %s "$KEY" | sha256sum` for its digest.
 */
const entrySchema = z.strictObject({
  principal: z
    .string()
    .regex(/^[\x21-\x7e]{1,128}$/, "must be 1 to 128 printable ASCII characters without spaces, such as svc-orders"),
  roles: z.array(z.enum(roles as [Role, ...Role[]])).min(1, "must name at least one role: caller or admin"),
  sha256: z
    .string()
    .regex(/^[0-9a-fA-F]{64}$/, "must be the hex SHA-256 of the key (64 hex digits): printf %s \"$KEY\" | sha256sum"),
  /** Free text for the operator: whose key, where it is deployed. */
  note: z.string().optional(),
});

const fileSchema = z.array(entrySchema);

/** The API keys a service accepts, by the SHA-256 of each. */
export interface ApiKeys {
  /** The key's principal, or undefined for a key that is not in the table. Takes the same time whichever key matches. */
  lookup(key: string): Principal | undefined;
  readonly size: number;
}

/** Thrown for a keys file that cannot be read or parsed; its message names the file and the entry, never a key. */
export class ApiKeysFileError extends Error {
  override readonly name = "ApiKeysFileError";
}

interface Entry {
  readonly digest: Buffer;
  readonly principal: Principal;
}

/** Builds the key table from the file's parsed entries. */
function tableOf(entries: z.infer<typeof fileSchema>, file: string): ApiKeys {
  const seen = new Set<string>();
  const table: Entry[] = entries.map((entry, index) => {
    const hex = entry.sha256.toLowerCase();
    if (seen.has(hex)) {
      throw new ApiKeysFileError(`${file}: entry ${index} (${entry.principal}) repeats the sha256 of an earlier entry`);
    }
    seen.add(hex);
    return {
      digest: Buffer.from(hex, "hex"),
      principal: Object.freeze({ id: entry.principal, roles: Object.freeze([...new Set(entry.roles)]), via: "api-key" as const }),
    };
  });
  return {
    size: table.length,
    lookup(key) {
      const digest = createHash("sha256").update(key, "utf8").digest();
      let found: Principal | undefined;
      // Every entry is compared, in constant time each: no early exit tells which one came close.
      for (const entry of table) {
        if (timingSafeEqual(entry.digest, digest) && found === undefined) {
          found = entry.principal;
        }
      }
      return found;
    },
  };
}

/** Parses the text of an API keys file (see {@link entrySchema}); `file` names it in errors. */
export function parseApiKeys(text: string, file: string): ApiKeys {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    // Not JSON.parse's message: it quotes the text near the error, which may be a key pasted by mistake.
    throw new ApiKeysFileError(`${file}: not JSON (check it with: jq . ${file})`);
  }
  const parsed = fileSchema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.length === 0 ? "the file" : `entry ${issue.path.join(".")}`}: ${issue.message}`);
    throw new ApiKeysFileError(
      `${file}: ${problems.join("; ")} (expected [{"principal": "svc-orders", "roles": ["caller"], "sha256": "<hex sha-256 of the key>"}])`,
    );
  }
  return tableOf(parsed.data, file);
}

/** Reads and parses an API keys file. */
export async function readApiKeys(file: string): Promise<ApiKeys> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ApiKeysFileError(`${file}: cannot be read (${code ?? (err instanceof Error ? err.message : String(err))})`, { cause: err });
  }
  return parseApiKeys(text, file);
}
