// `npm run bench -- [--dids 1000000] [--requests 30] [--audit-events N]`: the inventory,
// its mass edit and export, and the audit log at scale, measured over real HTTP against the
// real app, beside the same SQL run directly in PostgreSQL.
//
// Database: BENCH_DATABASE_URL, else the server of DATABASE_URL with the database
// did_bench, else an embedded PostgreSQL in data/bench. It is migrated, and (re)seeded
// with the demo data only when it does not hold exactly the requested number of DIDs, so
// reruns are quick. The audit log gets --audit-events events (default 5 per DID: 5,000,000
// for 1,000,000 DIDs), rewritten only when it holds another number. Results are printed and written to data/bench-results.md.
//
// Every request goes to the real app signed in as the admin "bench-admin" (created, or
// given a fresh random password, on each run), with its session and CSRF cookies like a
// browser. The cost of the session check is measured against a second app instance on the
// same database that acts as that admin with no session lookup (buildApp's fixedActor).
// Exit code: 0 when the run completed (missed targets are printed as MISSED), 1 on errors.
import http from "node:http";
import { mkdir, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { buildApp } from "../../src/app.js";
import { loadConfig, type AppConfig } from "../../src/config.js";
import { startEmbeddedPostgres, type EmbeddedServer } from "../../src/db/embedded-postgres.js";
import { applyMigrations, ensureDatabaseExists, withDatabaseName } from "../../src/db/migrate.js";
import { createPrismaClient, type Db } from "../../src/db/prisma.js";
import { benchRangePrefix, parseDidCount, seedDemoData } from "../../src/db/seed.js";
import { parseDidListQuery } from "../../src/modules/dids/did-filters.js";
import { parseAuditQuery } from "../../src/modules/audit/audit-filters.js";
import { listAuditEventsSql } from "../../src/modules/audit/audit.repo.js";
import { actorMatch } from "../../src/modules/audit/audit.service.js";
import { benchActorName, bigBatchRequestId, bigBatchSize, seedAuditEvents } from "./audit-seed.js";
import { countDidsSql, countersAnswer, countFromCountersSql, listPageSql } from "../../src/modules/dids/dids.repo.js";
import { tokenHash } from "../../src/modules/auth/auth.service.js";
import { hashPassword, randomPassword } from "../../src/modules/auth/passwords.js";
import { actorFor, everything } from "../../src/shared/actor.js";
import { projectRoot } from "../../src/paths.js";
import { benchClientsPart } from "./bench-clients.js";
import { cookieHeader, csrfTokenOf, setCookies, signIn } from "./bench-http.js";
import { benchRouting } from "./bench-routing.js";
import { benchPageLoad } from "./bench-page-load.js";
import { benchImport } from "./bench-import.js";
import { benchExport } from "./bench-export.js";
import { benchMassEdit } from "./bench-mass-edit.js";

const log = (message: string) => console.log(`[bench] ${message}`);
const seededOperators = 50;
const warmups = 3;
const createTargetMs = 5000;
const pageBytesTarget = 30 * 1024;
const fragmentBytesTarget = 15 * 1024;
const benchUsername = "bench-admin";
// The session check: a light page, so that the check's cost is not lost in the noise.
const authPath = "/dids?id=1";
const authRequests = 500;
const authWarmups = 20;
const authTargetMs = 2;
const signIns = 20;

// ---------------------------------------------------------------------------------------
// Arguments and database

interface Args {
  dids: number;
  requests: number;
  /** Undefined: 5 events per DID, at most defaultMaxAuditEvents. */
  auditEvents?: number;
}

const defaultBenchDids = 1_000_000;
const auditEventsPerDid = 5;
/** The default log stops growing here: 50 million events at ten million DIDs would take a quarter of an hour to write. */
const defaultMaxAuditEvents = 5_000_000;
/** Seeding ten million DIDs: at most three minutes (issue 11), proportionally less for fewer. */
const seedTargetMsPerMillion = 18_000;
const maxAuditEvents = 50_000_000;
const auditTargetMs = 100;

function parseArgs(argv: string[]): Args {
  const args: Args = { dids: defaultBenchDids, requests: 30 };
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
    } else if (name === "--audit-events") {
      const text = value() ?? "";
      const n = Number(text);
      if (!/^\d+$/.test(text) || n < 1000 || n > maxAuditEvents) throw new Error(`--audit-events must be a whole number from 1,000 to ${maxAuditEvents.toLocaleString("en-US")}, got "${text}"`);
      args.auditEvents = n;
    } else throw new Error(`unknown argument "${arg}"\nusage: npm run bench -- [--dids 1000000] [--requests 30] [--audit-events N]`);
  }
  return args;
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

/** One database per size, so that a run at ten million does not reseed the million one. */
function benchDatabaseName(dids: number): string {
  return dids === defaultBenchDids ? "did_bench" : `did_bench_${dids}`;
}

async function openBenchDatabase(dids: number): Promise<BenchDatabase> {
  if (process.env.BENCH_DATABASE_URL) return { url: process.env.BENCH_DATABASE_URL, source: "BENCH_DATABASE_URL" };
  const name = benchDatabaseName(dids);
  if (process.env.DATABASE_URL) return { url: withDatabaseName(process.env.DATABASE_URL, name), source: `DATABASE_URL's server, database ${name}` };
  const dataDir = path.join(projectRoot, "data", "bench");
  const embedded = await startEmbeddedPostgres(dataDir, log);
  return { url: `${embedded.serverUrl}/${name}`, source: `embedded PostgreSQL in ${path.relative(projectRoot, dataDir)}, database ${name}`, embedded };
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
const mb = (bytes: number) => `${(bytes / 2 ** 20).toLocaleString("en-US", { maximumFractionDigits: 0 })} MB`;
/** Small times, to a hundredth of a millisecond. */
const ms2 = (x: number) => x.toFixed(2);
const signed = (x: number) => `${x >= 0 ? "+" : "−"}${Math.abs(x).toFixed(2)}`;

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

/** A GET as a browser would send it, with `cookie`. A redirect (to /signin) is an error, not followed. */
async function timedGet(base: string, scenario: Pick<Scenario, "path" | "headers">, cookie: string): Promise<number> {
  const started = performance.now();
  const res = await fetch(base + scenario.path, { headers: { "accept-encoding": "gzip", cookie, ...scenario.headers }, redirect: "manual" });
  await res.arrayBuffer();
  const elapsed = performance.now() - started;
  if (res.status !== 200) throw new Error(`GET ${base}${scenario.path} answered ${res.status}${res.headers.get("location") ? ` (to ${res.headers.get("location")})` : ""}, expected 200`);
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

async function runScenario(base: string, cookie: string, client: pg.Client, scenario: Scenario, requests: number): Promise<ScenarioResult> {
  const parsed = parseDidListQuery(queryObject(scenario.path));
  if (!parsed.ok) throw new Error(`${scenario.path}: the app would reject this query: ${JSON.stringify(parsed.errors)}`);
  // The page's rows as the app reads them (its option lists and total aside).
  const listSql = listPageSql(everything, parsed.query, false, undefined);
  // The total as the app reads it where the counters answer (see dids.service.ts didListPage); count(*) otherwise.
  const countSql = countersAnswer(parsed.query.filter) ? countFromCountersSql(parsed.query.filter, everything) : countDidsSql(parsed.query.filter, everything);

  for (let i = 0; i < warmups; i++) await timedGet(base, scenario, cookie);
  const httpTimes: number[] = [];
  for (let i = 0; i < requests; i++) httpTimes.push(await timedGet(base, scenario, cookie));

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

interface AuditResult {
  scenario: Scenario;
  httpMedian: number;
  httpP95: number;
  sqlMedian: number;
  bytes: number;
  rows: number;
  older: boolean;
  indexes: string[];
  pass: boolean;
}

/** The scans of a plan (JSON EXPLAIN), for the report: which index (or table) each reads. */
function planScans(node: Record<string, unknown>, out: string[] = []): string[] {
  const type = String(node["Node Type"] ?? "");
  if (typeof node["Index Name"] === "string") out.push(`${type.replace(/ Scan$/, "")} ${node["Index Name"]}`);
  else if (type === "Seq Scan") out.push(`Seq Scan ${node["Relation Name"]}`);
  for (const child of (node.Plans as Record<string, unknown>[] | undefined) ?? []) planScans(child, out);
  return [...new Set(out)];
}

/** One audit page: over HTTP as the app serves it, and its query alone as PostgreSQL runs it. */
async function runAuditScenario(base: string, cookie: string, client: pg.Client, db: Db, scenario: Scenario, requests: number): Promise<AuditResult> {
  const parsed = parseAuditQuery(queryObject(scenario.path));
  if (!parsed.ok) throw new Error(`${scenario.path}: the app would reject this query: ${JSON.stringify(parsed.errors)}`);
  const sql = listAuditEventsSql(parsed.query, everything, await actorMatch(db, parsed.query.filter.actor));
  for (let i = 0; i < warmups; i++) await timedGet(base, scenario, cookie);
  const httpTimes: number[] = [];
  for (let i = 0; i < requests; i++) httpTimes.push(await timedGet(base, scenario, cookie));
  const explain = async () => {
    const result = await client.query<{ "QUERY PLAN": [{ Plan: Record<string, unknown>; "Execution Time": number }] }>(`EXPLAIN (ANALYZE, FORMAT JSON) ${sql.text}`, sql.values);
    return result.rows[0]!["QUERY PLAN"][0];
  };
  for (let i = 0; i < warmups; i++) await explain();
  const sqlTimes: number[] = [];
  let plan: Record<string, unknown> = {};
  for (let i = 0; i < requests; i++) {
    const run = await explain();
    sqlTimes.push(run["Execution Time"]);
    plan = run.Plan;
  }
  const rows = (await client.query(sql.text, sql.values)).rowCount ?? 0;
  const { bytes } = await wireBytes(base, scenario.path, { cookie });
  const httpP95 = percentile(httpTimes, 95);
  return {
    scenario,
    httpMedian: median(httpTimes),
    httpP95,
    sqlMedian: median(sqlTimes),
    bytes,
    rows: Math.min(rows, 50),
    older: rows > 50,
    indexes: planScans(plan),
    pass: scenario.targetMs === undefined || httpP95 <= scenario.targetMs,
  };
}

/** Bytes of the body as they travel: a raw request, so nothing is decompressed. */
function wireBytes(base: string, pathAndQuery: string, headers: Record<string, string>): Promise<{ bytes: number; encoding: string }> {
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
// Signing in, as a browser does

/** The bench's own admin, with a new random password each run (it is only ever used here). */
async function ensureBenchAdmin(db: Db): Promise<{ id: number; password: string }> {
  const password = randomPassword();
  const passwordHash = await hashPassword(password);
  const user = await db.user.upsert({
    where: { username: benchUsername },
    create: { username: benchUsername, passwordHash, role: "admin", resellerId: null },
    update: { passwordHash, role: "admin", resellerId: null, disabled: false },
  });
  // Sessions left by earlier (or interrupted) runs.
  await db.session.deleteMany({ where: { userId: user.id } });
  return { id: user.id, password };
}

interface AuthResult {
  withCheck: number[];
  without: number[];
  sessionSqlMedian: number;
  signInTimes: number[];
}

// ---------------------------------------------------------------------------------------

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const database = await openBenchDatabase(args.dids);
  log(`database: ${describeUrl(database.url)} (${database.source})`);
  let client: pg.Client | undefined;
  let app: Awaited<ReturnType<typeof buildApp>> | undefined;
  let fixedApp: Awaited<ReturnType<typeof buildApp>> | undefined;
  let benchUserId: number | undefined;
  /** The last event before the timed part: what the bench writes after it (sign-ins among them) goes again. */
  let eventsBeforeRun: string | undefined;
  let prisma: ReturnType<typeof createPrismaClient> | undefined;
  try {
    await ensureDatabaseExists(database.url);
    const applied = await applyMigrations(database.url);
    if (applied.length > 0) log(`applied migrations: ${applied.join(", ")}`);

    client = new pg.Client({ connectionString: database.url });
    await client.connect();
    // The bench replaces and removes its own events (the app never does; see the
    // audit_event_append_only trigger), so this session may.
    await client.query("SET did_inventory.allow_audit_purge = on");
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
    let seedMs: number | undefined;
    let didsSeeded = false;
    if (haveDids !== args.dids || haveOperators !== seededOperators) {
      didsSeeded = true;
      log(`database holds ${haveDids.toLocaleString("en-US")} DIDs and ${haveOperators} operators: resetting and seeding ${args.dids.toLocaleString("en-US")}`);
      const summary = await seedDemoData(database.url, { dids: args.dids, reset: true, log });
      seedMs = summary.timings.totalMs;
      seedNote = `seeded now in ${(summary.timings.totalMs / 1000).toFixed(1)} s (insert ${(summary.timings.insertMs / 1000).toFixed(1)} s, indexes ${(summary.timings.indexesMs / 1000).toFixed(1)} s)`;
      log(seedNote);
    }

    // The audit log: rewritten when the DIDs were, or when it holds another number of events.
    const auditEvents = args.auditEvents ?? Math.min(args.dids * auditEventsPerDid, defaultMaxAuditEvents);
    const haveEvents = Number((await client.query<{ n: string }>("SELECT count(*) AS n FROM audit_event")).rows[0]!.n);
    const haveBatch = (await client.query("SELECT 1 FROM operation WHERE request_id = $1", [bigBatchRequestId])).rowCount === 1;
    let auditSeedNote = `reused: ${haveEvents.toLocaleString("en-US")} events already written`;
    if (didsSeeded || haveEvents !== auditEvents || !haveBatch) {
      const summary = await seedAuditEvents(client, auditEvents, log);
      auditSeedNote = `written now in ${(summary.ms / 1000).toFixed(1)} s (one INSERT ... SELECT generate_series, indexes rebuilt after, ANALYZE)`;
    }

    eventsBeforeRun = (await client.query<{ id: string }>("SELECT coalesce(max(id), 0)::text AS id FROM audit_event")).rows[0]!.id;

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

    // The bench signs in dozens of times, always with the right password: sign-in limits
    // count failures only, so they never stop it.
    const config: AppConfig = { ...loadConfig(), databaseUrl: database.url, cacheTemplates: true, host: "127.0.0.1", port: 0 };
    prisma = createPrismaClient(database.url);
    const benchAdmin = await ensureBenchAdmin(prisma);
    benchUserId = benchAdmin.id;
    // With the job worker, as the server runs it: large imports are background jobs.
    app = await buildApp(config, prisma, { logger: false, runJobs: true });
    await app.listen({ port: 0, host: "127.0.0.1" });
    const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
    // The same app on the same database, minus the session check: every request acts as the
    // bench admin without looking a session up.
    fixedApp = await buildApp(config, prisma, { logger: false, fixedActor: actorFor({ id: benchAdmin.id, username: benchUsername, role: "admin", resellerId: null }) });
    await fixedApp.listen({ port: 0, host: "127.0.0.1" });
    const fixedBase = `http://127.0.0.1:${(fixedApp.server.address() as { port: number }).port}`;

    // Sign in like a browser; keep the session cookie and the CSRF cookie of a page.
    const { session } = await signIn(base, benchUsername, benchAdmin.password);
    const formPage = await fetch(`${base}/dids/new`, { headers: { cookie: `did_session=${session}` }, redirect: "manual" });
    if (formPage.status !== 200) throw new Error(`GET /dids/new signed in answered ${formPage.status}, expected 200`);
    const csrfToken = csrfTokenOf(await formPage.text(), "GET /dids/new");
    const csrfCookies = setCookies(formPage);
    const cookie = cookieHeader({ did_session: session, ...csrfCookies });
    log(`app listening on ${base}, signed in as ${benchUsername}; ${args.requests} timed requests per scenario after ${warmups} warm-ups`);

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
      { name: "sorted by operator name", path: "/dids?sort=operator&dir=asc", targetMs: 150 },
      { name: "sorted by operator name, descending", path: "/dids?sort=operator&dir=desc", targetMs: 150 },
      { name: "sorted by reseller name", path: "/dids?sort=reseller&dir=asc", targetMs: 150 },
      { name: "sorted by client name", path: "/dids?sort=client&dir=asc", targetMs: 150 },
      { name: "sorted by client name, descending (unassigned first)", path: "/dids?sort=client&dir=desc", targetMs: 150 },
    ];
    const results: ScenarioResult[] = [];
    for (const scenario of scenarios) {
      const result = await runScenario(base, cookie, client, scenario, args.requests);
      log(`${scenario.name}: median ${ms(result.httpMedian)} ms, p95 ${ms(result.httpP95)} ms${result.pass ? "" : " MISSED"}`);
      results.push(result);
    }

    const page = await wireBytes(base, "/dids?per=50", { cookie });
    const fragment = await wireBytes(base, "/dids?per=50", { cookie, "hx-request": "true" });

    // The audit log: its three pages with targets, then some corners for information.
    const historyDid = (await client.query<{ id: number; label: string }>(
      "SELECT object_id AS id, label FROM audit_event WHERE object_type = 'did' AND action = 'edit' ORDER BY id DESC LIMIT 1",
    )).rows[0]!;
    const batchMiddle = (await client.query<{ id: string }>(
      "SELECT id::text FROM audit_event WHERE request_id = $1 ORDER BY id OFFSET $2 LIMIT 1",
      [bigBatchRequestId, Math.floor(bigBatchSize(auditEvents) / 2)],
    )).rows[0]?.id;
    // The seeded history runs from 2024-12-01 for two years: a day in its middle.
    const yearAgo = "2025-12-01";
    const auditScenarios: Scenario[] = [
      { name: "first page, newest 50 events", path: "/audit", targetMs: auditTargetMs },
      { name: `one DID's history (${historyDid.label})`, path: `/audit?type=did&object=${historyDid.id}`, targetMs: auditTargetMs },
      { name: `one request: a mass edit of ${bigBatchSize(auditEvents).toLocaleString("en-US")} DIDs, with its summary`, path: `/audit?request=${bigBatchRequestId}`, targetMs: auditTargetMs },
      { name: "the same request, a page in its middle", path: `/audit?request=${bigBatchRequestId}&before=${batchMiddle ?? "1"}` },
      { name: "a deleted DID's events by number", path: `/audit?number=${historyDid.label}` },
      { name: "an actor who is no user any more (matched by name)", path: `/audit?actor=${benchActorName(3)}` },
      { name: "failed sign-ins", path: "/audit?action=sign_in_failed" },
      { name: "one day a year ago", path: `/audit?from=${yearAgo}&to=${yearAgo}` },
    ];
    const auditResults: AuditResult[] = [];
    for (const scenario of auditScenarios) {
      const result = await runAuditScenario(base, cookie, client, prisma, scenario, args.requests);
      log(`${scenario.name}: median ${ms(result.httpMedian)} ms, p95 ${ms(result.httpP95)} ms, ${kb(result.bytes)}, SQL ${ms2(result.sqlMedian)} ms${result.pass ? "" : " MISSED"}`);
      auditResults.push(result);
    }

    // The session check: the same light page on the real app (session cookie, the session
    // checked in PostgreSQL: on the inventory, within a minute of a full check, inside the
    // page's own statement) and on the fixedActor app (no check), alternating request by request
    // so that both see the same machine and database at the same moment. Both get the CSRF
    // cookie, as a browser sends it. The lookup writes last_seen_at at most once a minute,
    // so these are reads.
    log(`session check: ${authRequests} × GET ${authPath} on each app, alternating, after ${authWarmups} warm-ups each`);
    const auth: AuthResult = { withCheck: [], without: [], sessionSqlMedian: 0, signInTimes: [] };
    const csrfOnly = cookieHeader(csrfCookies);
    for (let i = 0; i < authWarmups; i++) {
      await timedGet(base, { path: authPath }, cookie);
      await timedGet(fixedBase, { path: authPath }, csrfOnly);
    }
    for (let i = 0; i < authRequests; i++) {
      // Who goes first alternates too, so neither always follows the other.
      if (i % 2 === 0) {
        auth.withCheck.push(await timedGet(base, { path: authPath }, cookie));
        auth.without.push(await timedGet(fixedBase, { path: authPath }, csrfOnly));
      } else {
        auth.without.push(await timedGet(fixedBase, { path: authPath }, csrfOnly));
        auth.withCheck.push(await timedGet(base, { path: authPath }, cookie));
      }
    }
    // The lookup's SQL alone (the query of sessions.repo.ts findSession), for reference.
    const sessionSql = {
      text: `SELECT s.last_seen_at AS "lastSeenAt", s.expires_at AS "expiresAt", u.id AS "userId", u.username,
        u.role::text AS role, u.reseller_id AS "resellerId", u.disabled
        FROM app_session s JOIN app_user u ON u.id = s.user_id WHERE s.token_hash = $1`,
      values: [tokenHash(session)],
    };
    const sessionSqlTimes: number[] = [];
    for (let i = 0; i < warmups + args.requests; i++) {
      const timed = await timedSql(client, sessionSql);
      if (timed.rows.length !== 1) throw new Error("the session lookup found no session");
      if (i >= warmups) sessionSqlTimes.push(timed.ms);
    }
    auth.sessionSqlMedian = median(sessionSqlTimes);
    // Signing in: argon2id verify of the password, a session row, the user's last sign-in.
    for (let i = 0; i < 2 + signIns; i++) {
      const { ms: signInMs } = await signIn(base, benchUsername, benchAdmin.password);
      if (i >= 2) auth.signInTimes.push(signInMs);
    }
    await client.query("DELETE FROM app_session WHERE user_id = $1 AND token_hash <> $2", [benchAdmin.id, tokenHash(session)]);
    const authDiffP95 = percentile(auth.withCheck, 95) - percentile(auth.without, 95);
    const authDiffMedian = median(auth.withCheck) - median(auth.without);
    const authPass = authDiffP95 <= authTargetMs;
    log(
      `session check: p95 ${ms2(percentile(auth.withCheck, 95))} ms with, ${ms2(percentile(auth.without, 95))} ms without: ${signed(authDiffP95)} ms${authPass ? "" : " MISSED"}; ` +
        `sign-in median ${ms(median(auth.signInTimes))} ms`,
    );

    // The routing API, in server processes of its own (the in-process apps stay idle
    // meanwhile), before the parts that write: their vacuum work would share the machine.
    const routingFigures = await benchRouting({ databaseUrl: database.url, client, log });
    // The inventory under a support desk's load (20 connections), in an app process of its own too.
    const pageLoadFigures = await benchPageLoad({ databaseUrl: database.url, username: benchUsername, password: benchAdmin.password, log });

    // Creating a 100,000-number range through the form, then removing it again.
    const low = BigInt(`${benchRangePrefix}000000`);
    const high = low + 99_999n;
    const numbers = `${low}-${high}`;
    const body = new URLSearchParams({ numbers, operator: String(operator.id), status: "in_stock", after_hold: "in_stock", _csrf: csrfToken });
    log(`creating ${numbers} (100,000 DIDs) through POST /dids/new`);
    // Events that the create writes are removed with its DIDs, so that the audit log keeps its size.
    const eventsBefore = (await client.query<{ id: string }>("SELECT coalesce(max(id), 0)::text AS id FROM audit_event")).rows[0]!.id;
    const createStarted = performance.now();
    const created = await fetch(`${base}/dids/new`, {
      method: "POST",
      body: body.toString(),
      headers: { "content-type": "application/x-www-form-urlencoded", "accept-encoding": "gzip", cookie },
      redirect: "manual",
    });
    await created.arrayBuffer();
    const createMs = performance.now() - createStarted;
    const location = created.headers.get("location") ?? "";
    const batchMatch = /[?&]batch=(\d+)/.exec(location);
    if (created.status !== 303 || !batchMatch) throw new Error(`POST /dids/new answered ${created.status} (location "${location}"), expected a 303 to /dids?batch=N`);
    const batchId = Number(batchMatch[1]);
    const removed = await client.query("DELETE FROM did WHERE batch_id = $1", [batchId]);
    // The bench cleans up after itself, its audit events included (the app never deletes events).
    await client.query("DELETE FROM audit_event WHERE request_id = (SELECT request_id FROM operation WHERE id = $1)", [batchId]);
    await client.query("DELETE FROM operation WHERE id = $1", [batchId]);
    await client.query("DELETE FROM audit_event WHERE id > $1", [eventsBefore]);
    if (removed.rowCount !== 100_000) throw new Error(`the create made ${removed.rowCount} DIDs, expected 100,000`);
    log(`created in ${ms(createMs)} ms; deleted again, vacuuming`);
    await client.query("VACUUM (ANALYZE) did");

    const massEdit = await benchMassEdit({ base, cookie, csrfToken, client, operatorId: operator.id, rangePrefix: benchRangePrefix, log });
    const exports = await benchExport({ base, cookie, client, log });
    // Operators whose names no other reseller uses: an admin's import finds each by name.
    const operatorNames = (await client.query<{ name: string }>("SELECT name FROM operator GROUP BY name HAVING count(*) = 1 ORDER BY name LIMIT 5")).rows.map((r) => r.name);
    const importFigures = await benchImport({ base, cookie, csrfToken, client, operatorNames, rangePrefix: benchRangePrefix, log });
    const clientFigures = await benchClientsPart({ base, cookie, csrfToken, client, db: prisma, requests: args.requests, log });

    // How big the database is at this size: what an operator provisions disk for.
    const sizes = (
      await client.query<{ relation: string; table_bytes: string; index_bytes: string }>(`
        SELECT c.relname AS relation, pg_table_size(c.oid)::text AS table_bytes, pg_indexes_size(c.oid)::text AS index_bytes
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relkind = 'r' ORDER BY pg_total_relation_size(c.oid) DESC LIMIT 6`)
    ).rows;
    const databaseBytes = Number((await client.query<{ n: string }>("SELECT pg_database_size(current_database())::text AS n")).rows[0]!.n);
    const seedTargetMs = (seedTargetMsPerMillion * args.dids) / 1_000_000;

    // Machine and server facts.
    const version = (await client.query<{ server_version: string }>("SHOW server_version")).rows[0]!.server_version;
    // How fast this machine is today: shared machines vary from run to run, so a reader can
    // tell a slower machine from a slower app. The same statement, in PostgreSQL alone.
    const calibration: number[] = [];
    for (let i = 0; i < 5; i++) calibration.push((await timedSql(client, { text: "SELECT count(*) FROM generate_series(1, 1000000)", values: [] })).ms);
    const cpus = os.cpus();
    const missed =
      results.filter((r) => !r.pass).length +
      auditResults.filter((r) => !r.pass || (r.scenario.targetMs !== undefined && r.bytes > pageBytesTarget)).length + (createMs > createTargetMs ? 1 : 0) + (page.bytes > pageBytesTarget ? 1 : 0) + (fragment.bytes > fragmentBytesTarget ? 1 : 0) + (authPass ? 0 : 1) + (seedMs !== undefined && seedMs > seedTargetMs ? 1 : 0) + massEdit.missed + importFigures.missed + exports.missed + clientFigures.missed + routingFigures.missed + pageLoadFigures.missed;
    const verdict = (ok: boolean) => (ok ? "pass" : "**MISSED**");

    const lines = [
      `# DID inventory benchmark, ${args.dids.toLocaleString("en-US")} DIDs`,
      "",
      `${new Date().toISOString()} · ${args.requests} timed requests per scenario (after ${warmups} warm-ups), sequential, over HTTP with accept-encoding: gzip, signed in as the admin ${benchUsername} (session and CSRF cookies)`,
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
      seedMs === undefined
        ? `- Seeding: ${seedNote} (the seed's own time, target ≤ ${(seedTargetMs / 1000).toFixed(0)} s, shows in a run that seeds)`
        : `- Seeding ${args.dids.toLocaleString("en-US")} DIDs: ${seedNote} (target ≤ ${(seedTargetMs / 1000).toFixed(0)} s) — ${verdict(seedMs <= seedTargetMs)}`,
      "",
      `## Database size, ${args.dids.toLocaleString("en-US")} DIDs and ${auditEvents.toLocaleString("en-US")} events`,
      "",
      "| table | table (heap + TOAST) | its indexes |",
      "|---|--:|--:|",
      ...sizes.map((r) => `| ${r.relation} | ${mb(Number(r.table_bytes))} | ${mb(Number(r.index_bytes))} |`),
      `| whole database | ${mb(databaseBytes)} | |`,
      "",
      ...massEdit.lines,
      "",
      ...exports.lines,
      "",
      ...importFigures.lines,
      "",
      ...clientFigures.lines,
      "",
      ...routingFigures.lines,
      "",
      ...pageLoadFigures.lines,
      "",
      `## Audit log, ${auditEvents.toLocaleString("en-US")} events`,
      "",
      `Full pages (no HX-Request), 50 events each, keyset paging (no count). SQL: PostgreSQL's own execution time of the page's one query (EXPLAIN ANALYZE, median of ${args.requests}), and the indexes its plan reads. Events ${auditSeedNote}.`,
      "",
      "| scenario | HTTP median | HTTP p95 | target (p95) | page (gzip) | SQL (PostgreSQL) | plan reads | pass/fail |",
      "|---|--:|--:|--:|--:|--:|---|---|",
      ...auditResults.map(
        (r) =>
          `| ${r.scenario.name} — \`${r.scenario.path}\` (${r.rows} shown${r.older ? ", more older" : ""}) | ${ms(r.httpMedian)} ms | ${ms(r.httpP95)} ms | ${r.scenario.targetMs === undefined ? "none" : `≤ ${r.scenario.targetMs} ms`} | ${kb(r.bytes)}${r.scenario.targetMs === undefined ? "" : ` (≤ ${kb(pageBytesTarget)})`} | ${ms2(r.sqlMedian)} ms | ${r.indexes.join(", ") || "—"} | ${verdict(r.pass && (r.scenario.targetMs === undefined || r.bytes <= pageBytesTarget))} |`,
      ),
      "",
      "## Sign-in and the session check",
      "",
      `${authRequests} requests each of \`GET ${authPath}\` (a light page), alternating in the same run between the app as it runs (session cookie, the session checked in PostgreSQL on every request: on the inventory inside the page's own statement, after one full lookup a minute) and a second instance on the same database that acts as the same admin without any session lookup (\`fixedActor\`); ${authWarmups} warm-ups each. The lookup writes last_seen_at at most once a minute, so these are reads.`,
      "",
      `| \`GET ${authPath}\` | HTTP median | HTTP p95 | target (p95) | pass/fail |`,
      "|---|--:|--:|--:|---|",
      `| with the session check (real app) | ${ms2(median(auth.withCheck))} ms | ${ms2(percentile(auth.withCheck, 95))} ms | | |`,
      `| without it (\`fixedActor\`) | ${ms2(median(auth.without))} ms | ${ms2(percentile(auth.without, 95))} ms | | |`,
      `| added by the session check | ${signed(authDiffMedian)} ms | ${signed(authDiffP95)} ms | ≤ ${authTargetMs} ms | ${verdict(authPass)} |`,
      "",
      `- The full session lookup's SQL alone (one indexed join of app_session and app_user), median of ${args.requests}: ${ms2(auth.sessionSqlMedian)} ms`,
      `- Signing in (\`POST /signin\`: argon2id verify, a session row, last sign-in noted), median of ${signIns}: ${ms(median(auth.signInTimes))} ms (p95 ${ms(percentile(auth.signInTimes, 95))} ms); once per session, not per request, so no per-request target`,
      "",
      `Machine: ${cpus.length} CPUs (${cpus[0]?.model.trim() ?? "unknown"}), ${(os.totalmem() / 2 ** 30).toFixed(1)} GB RAM, ${os.platform()} ${os.release()}; Node ${process.version}; PostgreSQL ${version}`,
      `Machine speed today: \`SELECT count(*) FROM generate_series(1, 1000000)\` takes ${ms(median(calibration))} ms (median of 5)`,
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
    // The bench admin's sessions are of no use after the run.
    if (benchUserId !== undefined) await client?.query("DELETE FROM app_session WHERE user_id = $1", [benchUserId]).catch(() => {});
    // Otherwise the next run would find more events than it asks for and write them all again.
    if (eventsBeforeRun !== undefined) await client?.query("DELETE FROM audit_event WHERE id > $1", [eventsBeforeRun]).catch(() => {});
    await fixedApp?.close().catch(() => {});
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
