/**
 * A `.dockerignore` as the builder reads it: one pattern a line, `#`
 * comments, `*` and `?` within a path segment, `**` across segments, `!`
 * bringing back what an earlier pattern excluded, the last match winning. A
 * pattern that matches a directory excludes everything under it.
 */
export interface DockerIgnore {
  /** True when `path` (relative to the build context, `/`-separated) is left out of the context. */
  excludes(path: string): boolean;
}

/** Parses the text of a `.dockerignore`. */
export function parseDockerIgnore(text: string): DockerIgnore {
  const rules = text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"))
    .map((line) => {
      const negated = line.startsWith("!");
      const pattern = (negated ? line.slice(1) : line).replace(/^\/+|\/+$/g, "");
      return { negated, regex: globRegex(pattern) };
    });
  return {
    excludes(path) {
      // A path is also matched by a pattern matching any of its parent directories.
      const prefixes = path.split("/").map((_, index, parts) => parts.slice(0, index + 1).join("/"));
      let excluded = false;
      for (const rule of rules) {
        if (prefixes.some((prefix) => rule.regex.test(prefix))) {
          excluded = !rule.negated;
        }
      }
      return excluded;
    },
  };
}

/** The regex of one pattern, anchored at the context's root. */
function globRegex(pattern: string): RegExp {
  let source = "";
  for (let index = 0; index < pattern.length; index++) {
    const char = pattern[index] ?? "";
    if (char === "*" && pattern[index + 1] === "*") {
      // `**/` matches any number of directories, none included.
      source += pattern[index + 2] === "/" ? "(?:.*/)?" : ".*";
      index += pattern[index + 2] === "/" ? 2 : 1;
    } else if (char === "*") {
      source += "[^/]*";
    } else if (char === "?") {
      source += "[^/]";
    } else {
      source += char.replace(/[.+^${}()|[\]\\]/g, "\\$&");
    }
  }
  return new RegExp(`^${source}$`);
}
