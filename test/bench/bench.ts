// `npm run bench -- [--dids 1000000] [--requests 30]`: the inventory at scale, measured
// over real HTTP against the real app, beside the same SQL run directly in PostgreSQL.
//
// Database: BENCH_DATABASE_URL, else the server of DATABASE_URL with the database
// did_bench, else an embedded PostgreSQL in data/bench. It is migrated, and (re)seeded
// with the demo data only when it does not hold exactly the requested number of DIDs, so
// reruns are quick. Results are printed and written to data/bench-results.md.
// Exit code: 0 when the run completed (missed targets are printed as MISSED), 1 on errors.
import http from "node:http";
import { mkdir, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { buildApp } from "../../src/app.js";
import { loadConfig, type AppConfig } from "../../src/config.js";
import { startEmbeddedPostgres, type EmbeddedServer } from "../../src/db/embedded-postgres.js";
import { applyMigrations, ensureDatabaseExists } from "../../src/db/migrate.js";
import { createPrismaClient } from "../../src/db/prisma.js";
import { benchRangePrefix, parseDidCount, seedDemoData } from "../../src/db/seed.js";
import { parseDidListQuery } from "../../src/modules/dids/did-filters.js";
import { countDidsSql, listDidsSql } from "../../src/modules/dids/dids.repo.js";
import { everything } from "../../src/shared/actor.js";
import { projectRoot } from "../../src/paths.js";

const log = (message: string) => console.log(`[bench] ${message}`);
const seededOperators = 50;
const warmups = 3;
const createTargetMs = 5000;
const pageBytesTarget = 30 * 1024;
const fragmentBytesTarget = 15 * 1024;

// ---------------------------------------------------------------------------------------
// Arguments and database

interface Args {
  dids: number;
  requests: number;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { dids: 1_000_000, requests: 30 };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [name, inline] = arg.includes("=") ? [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)] : [arg, undefined];
    const value = () => inline ?? argv[++i];
    if (name === "--dids") args.dids = parseDidCount(value(), "--dids");
    else if (name === "--requests") {
      const text = value() ?? "";
      const n = Number(text);
      if (!/^\d+$/.test(text) || n < 20 || n > 10_000) throw new Error(`--requests must be a whole number from 20 to 10,000, got "${text}"`);
      args.requests = n;
    } else throw new Error(`unknown argument "${arg}"\nusage: npm run bench -- [--dids 1000000] [--requests 30]`);
  }
  return args;
}

function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

function describeUrl(url: string): string {
  const u = new URL(url);
  if (u.password) u.password = "***";
  return u.toString();
}

interface BenchDatabase {
  url: string;
  source: string;
  embedded?: EmbeddedServer;
}

async function openBenchDatabase(): Promise<BenchDatabase> {
  if (process.env.BENCH_DATABASE_URL) return { url: process.env.BENCH_DATABASE_URL, source: "BENCH_DATABASE_URL" };
  if (process.env.DATABASE_URL) return { url: withDatabase(process.env.DATABASE_URL, "did_bench"), source: "DATABASE_URL's server, database did_bench" };
  const dataDir = path.join(projectRoot, "data", "bench");
  const embedded = await startEmbeddedPostgres(dataDir, log);
  return { url: `${embedded.serverUrl}/did_bench`, source: `embedded PostgreSQL in ${path.relative(projectRoot, dataDir)}`, embedded };
}

// ---------------------------------------------------------------------------------------
// Measuring

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Nearest-rank percentile. */
function percentile(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.max(0, Math.ceil((p / 100) * s.length) - 1)]!;
}

const ms = (x: number) => (x >= 100 ? x.toFixed(0) : x.toFixed(1));
const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;

interface Scenario {
  name: string;
  path: string;
  headers?: Record<string, string>;
  /** Undefined: measured for information, with no target set by an issue. */
  targetMs?: number;
  targetNote?: string;
}

interface ScenarioResult {
  scenario: Scenario;
  httpMedian: number;
  httpP95: number;
  sqlListMedian: number;
  sqlCountMedian: number;
  total: number;
  pass: boolean;
}

async function timedGet(base: string, scenario: Scenario): Promise<number> {
  const started = performance.now();
  const res = await fetch(base + scenario.path, { headers: { "accept-encoding": "gzip", ...scenario.headers } });
  await res.arrayBuffer();
  const elapsed = performance.now() - started;
  if (res.status !== 200) throw new Error(`GET ${scenario.path} answered ${res.status}, expected 200`);
  return elapsed;
}

/** The query object Fastify gives the route: repeated keys become arrays. */
function queryObject(pathAndQuery: string): Record<string, string | string[]> {
  const params = new URL(pathAndQuery, "http://x").searchParams;
  const out: Record<string, string | string[]> = {};
  for (const key of new Set(params.keys())) {
    const all = params.getAll(key);
    out[key] = all.length === 1 ? all[0]! : all;
  }
  return out;
}

async function timedSql(client: pg.Client, sql: { text: string; values: unknown[] }): Promise<{ ms: number; rows: Record<string, unknown>[] }> {
  const started = performance.now();
  const result = await client.query(sql.text, sql.values);
  return { ms: performance.now() - started, rows: result.rows };
}

async function runScenario(base: string, client: pg.Client, scenario: Scenario, requests: number): Promise<ScenarioResult> {
  const parsed = parseDidListQuery(queryObject(scenario.path));
  if (!parsed.ok) throw new Error(`${scenario.path}: the app would reject this query: ${JSON.stringify(parsed.errors)}`);
  const listSql = listDidsSql(parsed.query, everything);
  const countSql = countDidsSql(parsed.query.filter, everything);

  for (let i = 0; i < warmups; i++) await timedGet(base, scenario);
  const httpTimes: number[] = [];
  for (let i = 0; i < requests; i++) httpTimes.push(await timedGet(base, scenario));

  for (let i = 0; i < warmups; i++) {
    await timedSql(client, listSql);
    await timedSql(client, countSql);
  }
  const list: number[] = [];
  const counts: number[] = [];
  let total = 0;
  for (let i = 0; i < requests; i++) {
    list.push((await timedSql(client, listSql)).ms);
    const counted = await timedSql(client, countSql);
    counts.push(counted.ms);
    total = Number(counted.rows[0]?.total ?? 0);
  }
  const httpP95 = percentile(httpTimes, 95);
  return {
    scenario,
    httpMedian: median(httpTimes),
    httpP95,
    sqlListMedian: median(list),
    sqlCountMedian: median(counts),
    total,
    pass: scenario.targetMs === undefined || httpP95 <= scenario.targetMs,
  };
}

/** Bytes of the body as they travel: a raw request, so nothing is decompressed. */
function wireBytes(base: string, pathAndQuery: string, headers: Record<string, string> = {}): Promise<{ bytes: number; encoding: string }> {
  return new Promise((resolve, reject) => {
    const request = http.request(base + pathAndQuery, { headers: { "accept-encoding": "gzip", ...headers } }, (response) => {
      let bytes = 0;
      response.on("data", (chunk: Buffer) => (bytes += chunk.length));
      response.on("end", () => {
        if (response.statusCode !== 200) reject(new Error(`GET ${pathAndQuery} answered ${response.statusCode}`));
        else resolve({ bytes, encoding: String(response.headers["content-encoding"] ?? "identity") });
      });
      response.on("error", reject);
    });
    request.on("error", reject);
    request.end();
  });
}

// ---------------------------------------------------------------------------------------

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const database = await openBenchDatabase();
  log(`database: ${describeUrl(database.url)} (${database.source})`);
  let client: pg.Client | undefined;
  let app: Awaited<ReturnType<typeof buildApp>> | undefined;
  let prisma: ReturnType<typeof createPrismaClient> | undefined;
  try {
    await ensureDatabaseExists(database.url);
    const applied = await applyMigrations(database.url);
    if (applied.length > 0) log(`applied migrations: ${applied.join(", ")}`);

    client = new pg.Client({ connectionString: database.url });
    await client.connect();
    // An interrupted earlier run may have left its created range behind.
    const leftover = await client.query(`DELETE FROM did WHERE number LIKE '${benchRangePrefix}%'`);
    if (leftover.rowCount) {
      log(`removed ${leftover.rowCount} DIDs left by an interrupted run`);
      await client.query("VACUUM (ANALYZE) did");
    }
    const counts = await client.query<{ dids: string; operators: string }>(
      "SELECT (SELECT count(*) FROM did) AS dids, (SELECT count(*) FROM operator) AS operators",
    );
    const haveDids = Number(counts.rows[0]!.dids);
    const haveOperators = Number(counts.rows[0]!.operators);
    let seedNote = `reused: ${haveDids.toLocaleString("en-US")} DIDs already seeded`;
    if (haveDids !== args.dids || haveOperators !== seededOperators) {
      log(`database holds ${haveDids.toLocaleString("en-US")} DIDs and ${haveOperators} operators: resetting and seeding ${args.dids.toLocaleString("en-US")}`);
      const summary = await seedDemoData(database.url, { dids: args.dids, reset: true, log });
      seedNote = `seeded now in ${(summary.timings.totalMs / 1000).toFixed(1)} s (insert ${(summary.timings.insertMs / 1000).toFixed(1)} s, indexes ${(summary.timings.indexesMs / 1000).toFixed(1)} s)`;
      log(seedNote);
    }

    // The scenario parameters come from the data itself. The status + operator page runs
    // twice: for the operator with the most active DIDs, and for a busy operator whose
    // numbers sort last (German 49...). The planner walks the number index until it has
    // 50 matches, so where an operator's numbers sit in number order matters.
    const operatorStats = await client.query<{ id: number; name: string; n: string; first: string }>(`
      SELECT o.id, o.name, count(*) AS n, min(d.number) AS first FROM did d JOIN operator o ON o.id = d.operator_id
      WHERE d.status = 'active' GROUP BY o.id, o.name`);
    const byCount = [...operatorStats.rows].sort((a, b) => Number(b.n) - Number(a.n) || a.id - b.id);
    const operator = byCount[0];
    if (!operator) throw new Error("no active DIDs in the database: the seed did not run as expected");
    const busyEnough = byCount.filter((o) => Number(o.n) >= Number(operator.n) / 4);
    const lateOperator = busyEnough.sort((a, b) => (a.first < b.first ? 1 : a.first > b.first ? -1 : a.id - b.id))[0]!;
    const resellerId = (await client.query<{ id: number }>("SELECT reseller_id AS id FROM operator WHERE id = $1", [operator.id])).rows[0]!.id;
    let prefix = "380441";
    if ((await client.query("SELECT 1 FROM did WHERE number LIKE '380441%' LIMIT 1")).rowCount === 0) {
      const any = await client.query<{ p: string }>("SELECT left(number, 6) AS p FROM did ORDER BY id LIMIT 1");
      prefix = any.rows[0]!.p;
    }

    const config: AppConfig = { ...loadConfig(), databaseUrl: database.url, cacheTemplates: true, host: "127.0.0.1", port: 0 };
    prisma = createPrismaClient(database.url);
    app = await buildApp(config, prisma, { logger: false });
    await app.listen({ port: 0, host: "127.0.0.1" });
    const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
    log(`app listening on ${base}; ${args.requests} timed requests per scenario after ${warmups} warm-ups`);

    const scenarios: Scenario[] = [
      { name: "first page, 50 rows + total, by number", path: "/dids?per=50", targetMs: 100 },
      { name: `status=active + operator with most active DIDs (${operator.name})`, path: `/dids?status=active&operator=${operator.id}`, targetMs: 150 },
      { name: `status=active + busy operator whose numbers sort last (${lateOperator.name}, ${lateOperator.first.slice(0, 4)}…)`, path: `/dids?status=active&operator=${lateOperator.id}`, targetMs: 150 },
      { name: "tag=premium", path: "/dids?tag=premium", targetMs: 150 },
      { name: "number contains 555", path: "/dids?contains=555", targetMs: 150 },
      { name: `number starts with ${prefix}`, path: `/dids?prefix=${prefix}`, targetMs: 150 },
      { name: "page 1,000, by number", path: "/dids?page=1000", targetMs: 150 },
      { name: "htmx fragment, first page", path: "/dids?per=50", headers: { "hx-request": "true" }, targetMs: 100, targetNote: "*" },
      // Without targets: the slower corners, measured so that a regression shows.
      { name: "notes contain \"port\"", path: "/dids?notes=port" },
      { name: "one reseller's DIDs", path: `/dids?reseller=${resellerId}` },
      { name: "sorted by status, page 500", path: "/dids?sort=status&dir=asc&page=500" },
      { name: "sorted by operator name", path: "/dids?sort=operator&dir=asc" },
    ];
    const results: ScenarioResult[] = [];
    for (const scenario of scenarios) {
      const result = await runScenario(base, client, scenario, args.requests);
      log(`${scenario.name}: median ${ms(result.httpMedian)} ms, p95 ${ms(result.httpP95)} ms${result.pass ? "" : " MISSED"}`);
      results.push(result);
    }

    const page = await wireBytes(base, "/dids?per=50");
    const fragment = await wireBytes(base, "/dids?per=50", { "hx-request": "true" });

    // Creating a 100,000-number range through the form, then removing it again.
    const low = BigInt(`${benchRangePrefix}000000`);
    const high = low + 99_999n;
    const numbers = `${low}-${high}`;
    const body = new URLSearchParams({ numbers, operator: String(operator.id), status: "in_stock", after_hold: "in_stock" });
    log(`creating ${numbers} (100,000 DIDs) through POST /dids/new`);
    const createStarted = performance.now();
    const created = await fetch(`${base}/dids/new`, {
      method: "POST",
      body: body.toString(),
      headers: { "content-type": "application/x-www-form-urlencoded", "accept-encoding": "gzip" },
      redirect: "manual",
    });
    await created.arrayBuffer();
    const createMs = performance.now() - createStarted;
    const location = created.headers.get("location") ?? "";
    const batchMatch = /[?&]batch=(\d+)/.exec(location);
    if (created.status !== 303 || !batchMatch) throw new Error(`POST /dids/new answered ${created.status} (location "${location}"), expected a 303 to /dids?batch=N`);
    const batchId = Number(batchMatch[1]);
    const removed = await client.query("DELETE FROM did WHERE batch_id = $1", [batchId]);
    await client.query("DELETE FROM did_batch WHERE id = $1", [batchId]);
    if (removed.rowCount !== 100_000) throw new Error(`the create made ${removed.rowCount} DIDs, expected 100,000`);
    log(`created in ${ms(createMs)} ms; deleted again, vacuuming`);
    await client.query("VACUUM (ANALYZE) did");

    // Machine and server facts.
    const version = (await client.query<{ server_version: string }>("SHOW server_version")).rows[0]!.server_version;
    const cpus = os.cpus();
    const missed = results.filter((r) => !r.pass).length + (createMs > createTargetMs ? 1 : 0) + (page.bytes > pageBytesTarget ? 1 : 0) + (fragment.bytes > fragmentBytesTarget ? 1 : 0);
    const verdict = (ok: boolean) => (ok ? "pass" : "**MISSED**");

    const lines = [
      `# DID inventory benchmark, ${args.dids.toLocaleString("en-US")} DIDs`,
      "",
      `${new Date().toISOString()} · ${args.requests} timed requests per scenario (after ${warmups} warm-ups), sequential, over HTTP with accept-encoding: gzip`,
      "",
      "| scenario | HTTP median | HTTP p95 | target (p95) | SQL median (list + count) | pass/fail |",
      "|---|--:|--:|--:|--:|---|",
      ...results.map(
        (r) =>
          `| ${r.scenario.name} — \`${r.scenario.path}\`${r.scenario.headers ? " + HX-Request" : ""} (${r.total.toLocaleString("en-US")} match) | ${ms(r.httpMedian)} ms | ${ms(r.httpP95)} ms | ${r.scenario.targetMs === undefined ? "none" : `≤ ${r.scenario.targetMs} ms`}${r.scenario.targetNote ?? ""} | ${ms(r.sqlListMedian)} + ${ms(r.sqlCountMedian)} ms | ${verdict(r.pass)} |`,
      ),
      "",
      "\\* no target was set for the fragment; it runs the same queries as the full page, so the page's target is used.",
      "",
      `- Create 100,000 DIDs through the form (\`POST /dids/new\`, range ${numbers}): ${ms(createMs)} ms (target ≤ ${createTargetMs / 1000} s) — ${verdict(createMs <= createTargetMs)}; deleted again afterwards`,
      `- Bytes on the wire, full inventory page with 50 rows (\`/dids?per=50\`, ${page.encoding}): ${kb(page.bytes)} (target ≤ ${kb(pageBytesTarget)}) — ${verdict(page.bytes <= pageBytesTarget)}`,
      `- Bytes on the wire, htmx fragment (\`/dids?per=50\` + HX-Request, ${fragment.encoding}): ${kb(fragment.bytes)} (target ≤ ${kb(fragmentBytesTarget)}) — ${verdict(fragment.bytes <= fragmentBytesTarget)}`,
      "",
      `Machine: ${cpus.length} CPUs (${cpus[0]?.model.trim() ?? "unknown"}), ${(os.totalmem() / 2 ** 30).toFixed(1)} GB RAM, ${os.platform()} ${os.release()}; Node ${process.version}; PostgreSQL ${version}`,
      `Database: ${database.source}; ${seedNote}`,
      "",
      missed === 0 ? "All targets met." : `${missed} target(s) MISSED.`,
    ];
    const report = lines.join("\n") + "\n";
    console.log("\n" + report);
    const out = path.join(projectRoot, "data", "bench-results.md");
    await mkdir(path.dirname(out), { recursive: true });
    await writeFile(out, report);
    log(`written to ${path.relative(projectRoot, out)}`);
  } finally {
    await app?.close().catch(() => {});
    await prisma?.$disconnect().catch(() => {});
    await client?.end().catch(() => {});
    await database.embedded?.stop().catch(() => {});
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exit(1);
  },
);
