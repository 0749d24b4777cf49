/**
 * Preloaded into a benchmarked process (`node --import tsx --import …/process-probe.ts`), so the
 * harness can read that process's own CPU time and memory without touching its code: a tiny
 * HTTP endpoint on an ephemeral loopback port, announced as `bench-probe http://127.0.0.1:<port>`
 * on standard output. `GET /` answers a {@link ProbeReading}; `POST /gc` runs a full collection
 * when the process was started with `--expose-gc`.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

/** What the probe reports about its process. */
export interface ProbeReading {
  /** User plus system CPU time since the process started, in microseconds. */
  readonly cpuUs: number;
  readonly rssBytes: number;
  readonly heapUsedBytes: number;
  readonly heapTotalBytes: number;
  readonly externalBytes: number;
}

const probe = createServer((req, res) => {
  if (req.method === "POST" && req.url === "/gc") {
    const collect = (globalThis as { gc?: () => void }).gc;
    collect?.();
    res.writeHead(collect === undefined ? 501 : 204).end();
    return;
  }
  const cpu = process.cpuUsage();
  const memory = process.memoryUsage();
  const reading: ProbeReading = {
    cpuUs: cpu.user + cpu.system,
    rssBytes: memory.rss,
    heapUsedBytes: memory.heapUsed,
    heapTotalBytes: memory.heapTotal,
    externalBytes: memory.external,
  };
  res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(reading));
});
// The probe must never keep a process alive that would otherwise exit.
probe.unref();
probe.listen(0, "127.0.0.1", () => {
  const { port } = probe.address() as AddressInfo;
  process.stdout.write(`bench-probe http://127.0.0.1:${port}\n`);
});
