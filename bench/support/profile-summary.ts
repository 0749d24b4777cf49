/**
 * Where a service's CPU time goes: reads a V8 `.cpuprofile` (from `BENCH_CPU_PROF=<dir> npm run
 * bench`) and prints busy time by package or project folder, by the nearest service file on the
 * stack (what each part of the service costs with the libraries it calls), and by function.
 *
 *   tsx bench/support/profile-summary.ts ./profiles/CPU.….cpuprofile [top=25]
 */
import { readFileSync } from "node:fs";

interface ProfileNode {
  readonly id: number;
  readonly children?: readonly number[];
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
}
interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

const [path, topText] = process.argv.slice(2);
if (path === undefined) throw new Error("usage: profile-summary.ts <file.cpuprofile> [top]");
const top = Number(topText ?? 25);
const profile = JSON.parse(readFileSync(path, "utf8")) as CpuProfile;
const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const selfUs = new Map<number, number>();
profile.samples.forEach((id, index) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[index] ?? 0)));

/** `node_modules/<package>`, a project folder such as `server/model`, or V8's own bucket. */
function area(url: string, functionName: string): string {
  if (url === "") return `(${functionName || "native"})`;
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg?.[1] !== undefined) return pkg[1];
  if (url.startsWith("node:")) return url;
  const project = /\/(server|client|gen|bench)\/(?:([^/]+)\/)?/.exec(url);
  return project === null ? url : `${project[1]}/${project[2] ?? ""}`;
}

const parentOf = new Map<number, number>();
for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);
/** The nearest frame, from the leaf up, in the service's own code: who asked for this time. */
function nearestServiceFile(id: number): string {
  for (let current: number | undefined = id; current !== undefined; current = parentOf.get(current)) {
    const url = byId.get(current)?.callFrame.url ?? "";
    const file = /\/(server\/[^?]+?\.ts)/.exec(url);
    if (file?.[1] !== undefined && !url.includes("node_modules")) return file[1];
  }
  return "(no service frame: runtime, I/O callbacks, GC, start-up)";
}
/** A coarse bucket of an area, for the one-line answer to "where does the time go". */
function bucket(where: string): string {
  if (/^(tsx|esbuild|get-tsconfig)$|modules\/|source_map|bootstrap|node:fs|node:vm/.test(where)) return "start-up (tsx, module loading, source maps)";
  if (/^(openai|@langchain\/openai)$|undici|webstreams|node:internal\/url|domexception/.test(where)) return "model client (OpenAI SDK, undici fetch, web streams)";
  if (/^@langchain\//.test(where)) return "LangChain core";
  if (/^@opentelemetry\/|^pino/.test(where)) return "telemetry and logs (OpenTelemetry, pino)";
  if (/^@connectrpc\/|^@bufbuild\/|http2|node:net|stream|zlib|\(writev\)|\(writeBuffer\)|\(close\)/.test(where)) return "RPC and transport (connect, protobuf, HTTP/2, sockets, gzip)";
  if (/^server\//.test(where)) return "service code (server/)";
  if (/garbage collector/.test(where)) return "garbage collection";
  return "V8 and Node runtime (program, microtasks, timers, events)";
}
const buckets = new Map<string, number>();
const callers = new Map<string, number>();
const areas = new Map<string, number>();
const functions = new Map<string, number>();
let total = 0;
for (const [id, us] of selfUs) {
  const frame = byId.get(id)?.callFrame;
  // Idle time is the process waiting, not spending: shares are of busy time.
  if (frame === undefined || frame.functionName === "(idle)") continue;
  total += us;
  const caller = nearestServiceFile(id);
  callers.set(caller, (callers.get(caller) ?? 0) + us);
  const where = area(frame.url, frame.functionName);
  areas.set(where, (areas.get(where) ?? 0) + us);
  const coarse = bucket(where);
  buckets.set(coarse, (buckets.get(coarse) ?? 0) + us);
  const name = `${frame.functionName || "(anonymous)"} ${frame.url.replace(/^.*node_modules\//, "").replace(/^file:\/\/\/.*?\/(server|client|gen|bench)\//, "$1/")}:${frame.lineNumber + 1}`;
  functions.set(name, (functions.get(name) ?? 0) + us);
}
const print = (title: string, entries: Map<string, number>) => {
  console.log(`\n| ${title} | self ms | share |\n|---|---:|---:|`);
  for (const [name, us] of [...entries].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(`| ${name} | ${(us / 1000).toFixed(0)} | ${((us / total) * 100).toFixed(1)}% |`);
  }
};
console.log(`Profile ${path}: ${(total / 1000).toFixed(0)} ms busy`);
print("Where the busy time goes", buckets);
print("Package or folder (self time)", areas);
print("Nearest service file on the stack (its own time and what it calls)", callers);
print("Function", functions);
