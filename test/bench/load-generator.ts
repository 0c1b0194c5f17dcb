// The bench's load generator (bench-http.ts runLoad), in a process of its own so that the
// bench's own heap (two apps, everything the earlier parts read) cannot slow the load down:
// autocannon against one path, or a path prefix with a random number from a file per
// request; a warm-up run and then the measured one (both here, so that this process is warm
// too). Prints the measured run as one JSON line; answers outside `okStatuses` count as
// failures. Argument: the LoadOptions as one JSON object.
import { readFileSync } from "node:fs";
import autocannon from "autocannon";
import type { LoadOptions, LoadResult } from "./bench-http.js";

const options = JSON.parse(process.argv[2] ?? "{}") as LoadOptions;
const numbers = options.numbersFile ? readFileSync(options.numbersFile, "utf8").trim().split("\n") : [];
const pick = () => numbers[Math.floor(Math.random() * numbers.length)]!;

const perRequest: Partial<autocannon.Options> = options.numbersFile
  ? { requests: [{ method: "GET", setupRequest: (request) => ({ ...request, path: `${options.pathPrefix ?? ""}${pick()}` }) }] }
  : {};
const run = (seconds: number) =>
  autocannon({ url: options.url + (options.path ?? ""), connections: options.connections, duration: seconds, headers: options.headers, ...perRequest });
await run(options.warmupSeconds);
const result = await run(options.seconds);
const served = Object.entries(result.statusCodeStats ?? {}).reduce((sum, [code, stat]) => (options.okStatuses.includes(Number(code)) ? sum + Number(stat.count) : sum), 0);
const measured: LoadResult = {
  perSecond: result.requests.average,
  p50: result.latency.p50,
  p99: result.latency.p99,
  requests: result.requests.total,
  failures: result.requests.total - served + result.errors + result.timeouts,
};
console.log(JSON.stringify(measured));
