// The routing bench's load generator, in a process of its own so that the bench's own
// heap (two apps, everything the earlier parts read) cannot slow the load down: autocannon
// against one URL prefix with a random number from a file per request, a warm-up run and
// then the measured one (both here, so that this process is warm too). Prints the measured
// run as one JSON line. Arguments: one JSON object (url, pathPrefix, numbersFile, headers,
// connections, warmupSeconds, seconds).
import { readFileSync } from "node:fs";
import autocannon from "autocannon";

const options = JSON.parse(process.argv[2] ?? "{}") as { url: string; pathPrefix: string; numbersFile: string; headers: Record<string, string>; connections: number; warmupSeconds: number; seconds: number };
const numbers = readFileSync(options.numbersFile, "utf8").trim().split("\n");
const pick = () => numbers[Math.floor(Math.random() * numbers.length)]!;

const run = (seconds: number) =>
  autocannon({
    url: options.url,
    connections: options.connections,
    duration: seconds,
    headers: options.headers,
    requests: [{ method: "GET", setupRequest: (request) => ({ ...request, path: `${options.pathPrefix}${pick()}` }) }],
  });
await run(options.warmupSeconds);
const result = await run(options.seconds);
const answered = Object.entries(result.statusCodeStats ?? {}).reduce((sum, [code, stat]) => (code === "200" || code === "404" ? sum + Number(stat.count) : sum), 0);
console.log(
  JSON.stringify({
    perSecond: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    requests: result.requests.total,
    failures: result.requests.total - answered + result.errors + result.timeouts,
  }),
);
