// The inventory under a support desk's load, part of `npm run bench`: the app as `npm start`
// runs it (its own process, request log and job worker on), signed in once through the
// sign-in form, loaded by autocannon (in a process of its own: page-load.ts) with 20
// connections on loopback: the unfiltered first page (`/dids`, its total over every DID) and
// a light page (`/dids?id=1`). Rounds alternate between the two; each page's better round
// is reported, with every round listed (a shared machine's noise only ever slows a round).
// With `cpuProfileDir`, the app runs under `node --cpu-prof` and writes its profile there on
// exit (how the figures below were explained).
import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import path from "node:path";
import { projectRoot } from "../../src/paths.js";

export interface PageLoadResult {
  perSecond: number;
  p50: number;
  p99: number;
  requests: number;
  /** Answers other than 200, connection errors and timeouts. */
  failures: number;
}

export interface PageLoadFigures {
  lines: string[];
  missed: number;
  runs: Record<string, PageLoadResult[]>;
}

interface Context {
  databaseUrl: string;
  /** An admin who may sign in through the form (the bench's own). */
  username: string;
  password: string;
  log: (message: string) => void;
  rounds?: number;
  /** The app's entry point; default dist/src/server.js of this checkout. */
  serverScript?: string;
  cpuProfileDir?: string;
  /** Only these pages (default: every scenario). */
  paths?: string[];
}

const connections = 20;
const warmupSeconds = 3;
const measureSeconds = 10;

export const pageLoadScenarios = [
  { name: "unfiltered first page (`/dids`, 50 rows and the total)", path: "/dids", minPerSecond: 250, maxP99Ms: 250 },
  { name: "a light page (`/dids?id=1`)", path: "/dids?id=1", minPerSecond: 800, maxP99Ms: undefined },
] as const;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function waitForHttp(url: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the app exited with code ${child.exitCode} before answering`);
    try {
      const res = await fetch(url);
      await res.arrayBuffer();
      if (res.status < 500) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`the app did not answer ${url} within 60 s`);
}

function stop(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill("SIGTERM");
  });
}

/** The cookies a response sets, as name=value pairs. */
function setCookies(res: Response): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of res.headers.getSetCookie()) {
    const pair = line.split(";")[0] ?? "";
    const eq = pair.indexOf("=");
    if (eq > 0 && pair.slice(eq + 1) !== "") out[pair.slice(0, eq).trim()] = pair.slice(eq + 1);
  }
  return out;
}

const cookieHeader = (cookies: Record<string, string>) => Object.entries(cookies).map(([k, v]) => `${k}=${v}`).join("; ");

/** Signs in through the form, as a browser does: the cookies to send afterwards. */
async function signIn(base: string, username: string, password: string): Promise<string> {
  const page = await fetch(`${base}/signin`, { redirect: "manual" });
  const html = await page.text();
  const cookies = setCookies(page);
  const csrf = /name="_csrf" value="([^"]+)"/.exec(html)?.[1];
  if (!csrf) throw new Error("GET /signin: no CSRF token in the page");
  const res = await fetch(`${base}/signin`, {
    method: "POST",
    body: new URLSearchParams({ username, password, _csrf: csrf, next: "/dids" }).toString(),
    headers: { "content-type": "application/x-www-form-urlencoded", cookie: cookieHeader(cookies) },
    redirect: "manual",
  });
  await res.arrayBuffer();
  const signedIn = { ...cookies, ...setCookies(res) };
  if (res.status !== 303 || !signedIn.did_session) throw new Error(`POST /signin as ${username} answered ${res.status}, expected a 303 with a session cookie`);
  return cookieHeader(signedIn);
}

function load(url: string, pagePath: string, headers: Record<string, string>): Promise<PageLoadResult> {
  return new Promise((resolve, reject) => {
    const options = JSON.stringify({ url, path: pagePath, headers, connections, warmupSeconds, seconds: measureSeconds });
    const child = spawn(process.execPath, [path.join(projectRoot, "dist/test/bench/page-load.js"), options], { stdio: ["ignore", "pipe", "inherit"] });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.once("error", reject);
    child.once("exit", (code) => {
      if (code !== 0) return reject(new Error(`the load generator exited with code ${code}`));
      resolve(JSON.parse(output.trim().split("\n").pop()!) as PageLoadResult);
    });
  });
}

const thousands = (x: number) => Math.round(x).toLocaleString("en-US");

export async function benchPageLoad(context: Context): Promise<PageLoadFigures> {
  const { log } = context;
  const rounds = context.rounds ?? 3;
  const scenarios = pageLoadScenarios.filter((s) => !context.paths || context.paths.includes(s.path));
  let app: ChildProcess | undefined;
  try {
    const port = await freePort();
    const env = { ...process.env, DATABASE_URL: context.databaseUrl, HOST: "127.0.0.1", PORT: String(port), NODE_ENV: "production" };
    const profile = context.cpuProfileDir ? ["--cpu-prof", `--cpu-prof-dir=${context.cpuProfileDir}`] : [];
    app = spawn(process.execPath, [...profile, context.serverScript ?? path.join(projectRoot, "dist/src/server.js")], { env, stdio: "ignore" });
    const base = `http://127.0.0.1:${port}`;
    await waitForHttp(`${base}/healthz`, app);
    const cookie = await signIn(base, context.username, context.password);
    // gzip as a browser asks for it: the compression is part of each page's cost.
    const headers = { cookie, "accept-encoding": "gzip" };
    log(`page load: app (pid ${app.pid}) started; ${rounds} rounds of ${warmupSeconds} s warm-up + ${measureSeconds} s with ${connections} connections per page`);
    const runs: Record<string, PageLoadResult[]> = {};
    for (let round = 0; round < rounds; round++) {
      for (const scenario of scenarios) {
        const result = await load(base, scenario.path, headers);
        (runs[scenario.path] ??= []).push(result);
        log(`round ${round + 1}, ${scenario.path}: ${thousands(result.perSecond)} pages/s, p50 ${result.p50} ms, p99 ${result.p99} ms, ${result.failures} errors`);
      }
    }
    const verdict = (ok: boolean) => (ok ? "pass" : "**MISSED**");
    let missed = 0;
    const lines = [
      "## The inventory under load",
      "",
      `autocannon, ${connections} connections on loopback, one signed-in admin session (signed in through the form; the session is checked on every request), gzip; ${rounds} rounds of ${measureSeconds} s after ${warmupSeconds} s of warm-up, alternating between the pages; each page's better round. The app runs as \`npm start\` runs it.`,
      "",
      "| page | pages/s | p50 | p99 | requests | errors (not 200) | target | |",
      "|---|--:|--:|--:|--:|--:|---|---|",
    ];
    for (const scenario of scenarios) {
      const all = runs[scenario.path]!;
      const best = all.reduce((a, b) => (b.perSecond > a.perSecond ? b : a));
      const failures = all.reduce((sum, r) => sum + r.failures, 0);
      const ok = best.perSecond >= scenario.minPerSecond && (scenario.maxP99Ms === undefined || best.p99 <= scenario.maxP99Ms) && failures === 0;
      if (!ok) missed++;
      const target = `≥ ${scenario.minPerSecond}/s${scenario.maxP99Ms === undefined ? "" : `, p99 ≤ ${scenario.maxP99Ms} ms`}, no errors`;
      lines.push(`| ${scenario.name} | ${thousands(best.perSecond)} | ${best.p50} ms | ${best.p99} ms | ${thousands(best.requests)} | ${failures} (all rounds) | ${target} | ${verdict(ok)} |`);
    }
    lines.push("");
    for (const scenario of scenarios) {
      lines.push(`- All rounds, \`${scenario.path}\`: ${runs[scenario.path]!.map((r) => `${thousands(r.perSecond)}/s (p50 ${r.p50}, p99 ${r.p99} ms)`).join("; ")}`);
    }
    return { lines, missed, runs };
  } finally {
    await stop(app);
  }
}
