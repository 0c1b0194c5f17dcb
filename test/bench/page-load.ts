// The page-load bench's load generator, in a process of its own (as routing-load.ts): autocannon
// against one signed-in URL, a warm-up run and then the measured one. Prints the measured run
// as one JSON line; anything but a 200 counts as an error. Arguments: one JSON object (url,
// path, headers, connections, warmupSeconds, seconds).
import autocannon from "autocannon";

const options = JSON.parse(process.argv[2] ?? "{}") as { url: string; path: string; headers: Record<string, string>; connections: number; warmupSeconds: number; seconds: number };

const run = (seconds: number) =>
  autocannon({ url: options.url + options.path, connections: options.connections, duration: seconds, headers: options.headers });
await run(options.warmupSeconds);
const result = await run(options.seconds);
const ok = Number(result.statusCodeStats?.["200"]?.count ?? 0);
console.log(
  JSON.stringify({
    perSecond: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    requests: result.requests.total,
    failures: result.requests.total - ok + result.errors + result.timeouts,
  }),
);
